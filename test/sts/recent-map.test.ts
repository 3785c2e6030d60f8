/** The LRU map under the credential cache and the STS budget: which entries it keeps. */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { setMostRecent } from '../../shared/sts/recent-map';
import { oftenEqual } from '../helpers/often';

describe('setMostRecent', () => {
  it('keeps exactly the most recently set keys, in order of use, whatever else is deleted on the way', () => {
    // Oracle: an array of keys, least recent first.
    const operations = fc.array(fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 30 }) }),
    ), { maxLength: 300 });
    fc.assert(fc.property(operations, fc.integer({ min: 1, max: 12 }), (steps, maxEntries) => {
      const map = new Map<number, number>();
      let oracle: number[] = [];
      for (const [index, step] of steps.entries()) {
        if (step.kind === 'set') {
          setMostRecent(map, step.key, index, maxEntries);
          oracle = [...oracle.filter((key) => key !== step.key), step.key].slice(-maxEntries);
        } else {
          map.delete(step.key);
          oracle = oracle.filter((key) => key !== step.key);
        }
        oftenEqual([...map.keys()], oracle);
      }
    }), { numRuns: 2_000 });
  });
});
