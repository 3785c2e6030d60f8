/** The test helper BINARY is fast-check's own `unit: 'binary'`: the same values from the same seed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BINARY } from './code-points';

describe('BINARY', () => {
  it('generates the strings fast-check\'s binary unit generates, from the same seeds', () => {
    const ours = fc.string({ unit: BINARY, maxLength: 40 });
    const theirs = fc.string({ unit: 'binary', maxLength: 40 });
    for (const seed of [1, 2, 3, 42, 2026, Date.now() % 1_000_000]) {
      expect(fc.sample(ours, { seed, numRuns: 500 })).toEqual(fc.sample(theirs, { seed, numRuns: 500 }));
    }
  });

  it('shrinks a failing string as fast-check\'s binary unit does', () => {
    const failing = (text: string): boolean => !/[\u{10000}-\u{10ffff}]/u.test(text) || text.length < 3;
    const counterexample = (unit: fc.Arbitrary<string> | 'binary') => {
      const details = fc.check(fc.property(fc.string({ unit, maxLength: 30 }), failing), { seed: 7, numRuns: 10_000 });
      return details.counterexample;
    };
    expect(counterexample(BINARY)).not.toBeNull();
    expect(counterexample(BINARY)).toEqual(counterexample('binary'));
  });

  it('reads back every kind of code point it makes, and refuses what it cannot make', () => {
    // The unmapper is what fc.string uses to inject strings such as __proto__.
    const injected = fc.sample(fc.string({ unit: BINARY, minLength: 9, maxLength: 9 }), { seed: 5, numRuns: 20_000 });
    expect(injected).toContain('__proto__');
    for (const value of ['a', '\u0000', '\ud7ff', '\ue000', '\u{10000}', '\u{10ffff}', '\uffff']) {
      expect(BINARY.canShrinkWithoutContext(value)).toBe(true);
    }
    for (const value of ['', 'ab', '\ud800', '\udfff', 'a\ud800', 7, null]) {
      expect(BINARY.canShrinkWithoutContext(value)).toBe(false);
    }
  });
});
