/** The per-key STS call budget: a token bucket per identity and scope, bounded like the cache. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallBudget } from '../../shared/sts/call-budget';
import { oftenBe } from '../helpers/often';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1);

describe('CallBudget', () => {
  it('allows callsPerHour calls at once, then one more each hour/callsPerHour, saying how long to wait in whole seconds', () => {
    const budget = new CallBudget({ callsPerHour: 60, maxKeys: 10 });
    const granted = Array.from({ length: 60 }, () => budget.take('alice/user', T0));
    expect(granted.every((wait) => wait === undefined)).toBe(true);
    expect(budget.take('alice/user', T0)).toBe(60);
    expect(budget.take('alice/user', T0 + 59_001)).toBe(1);
    expect(budget.take('alice/user', T0 + 60_000)).toBeUndefined();
    expect(budget.take('alice/user', T0 + 60_000)).toBe(60);
  });

  it('keeps a separate budget per key', () => {
    const budget = new CallBudget({ callsPerHour: 1, maxKeys: 10 });
    expect(budget.take('alice/user', T0)).toBeUndefined();
    expect(budget.take('alice/user', T0)).toBe(3600);
    expect(budget.take('bob/user', T0)).toBeUndefined();
    expect(budget.take('alice/team', T0)).toBeUndefined();
  });

  it('never refills beyond callsPerHour, however long a key was idle', () => {
    const budget = new CallBudget({ callsPerHour: 3, maxKeys: 10 });
    budget.take('k', T0);
    const later = T0 + 100 * HOUR;
    expect([1, 2, 3].map(() => budget.take('k', later))).toEqual([undefined, undefined, undefined]);
    expect(budget.take('k', later)).toBe(1200);
  });

  it('neither refills nor takes away calls when the clock goes back', () => {
    const budget = new CallBudget({ callsPerHour: 2, maxKeys: 10 });
    budget.take('k', T0);
    budget.take('k', T0);
    expect(budget.take('k', T0 - HOUR)).toBe(1800);
    expect(budget.take('k', T0 + HOUR / 2)).toBeUndefined();
  });

  it('remembers at most maxKeys keys, forgetting the least recently charged (which then start afresh)', () => {
    const budget = new CallBudget({ callsPerHour: 1, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'a', 'd']) budget.take(key, T0);
    expect(budget.size).toBe(3);
    expect(budget.take('b', T0)).toBeUndefined();
    expect(budget.take('a', T0)).toBe(3600);
  });

  it('serves a client that waited exactly Retry-After, where the refill is a sum of fractions (found by the property below: 4 per hour, gaps 538,638 / 226,510 / 102,454 / 18,101 / 395,297 ms)', () => {
    const budget = new CallBudget({ callsPerHour: 4, maxKeys: 4 });
    let clock = T0;
    const outcomes: (number | undefined)[] = [];
    for (const gap of [0, 538_638, 226_510, 102_454, 18_101, 395_297, 0]) {
      clock += gap;
      const wait = budget.take('k', clock);
      outcomes.push(wait);
      if (wait !== undefined) {
        clock += wait * 1000;
        oftenBe(budget.take('k', clock), undefined);
      }
    }
    expect(outcomes.some((wait) => wait !== undefined)).toBe(true);
  });

  it('never grants more than callsPerHour × (1 + hours elapsed) calls to one key, and grants one once Retry-After has passed (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.array(fc.integer({ min: 0, max: 10 * 60_000 }), { minLength: 1, maxLength: 300 }), (perHour, gaps) => {
        const budget = new CallBudget({ callsPerHour: perHour, maxKeys: 4 });
        let clock = T0;
        let granted = 0;
        for (const gap of gaps) {
          clock += gap;
          const wait = budget.take('k', clock);
          if (wait !== undefined) {
            if (!(wait >= 1)) expect(wait).toBeGreaterThanOrEqual(1);
            clock += wait * 1000;
            oftenBe(budget.take('k', clock), undefined);
          }
          granted += 1;
        }
        const most = perHour * (1 + (clock - T0) / HOUR) + 1e-9;
        if (!(granted <= most)) expect(granted).toBeLessThanOrEqual(most);
      }),
      { numRuns: 10_000 },
    );
  });
});
