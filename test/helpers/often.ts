/**
 * Assertions for checks a property makes on each of its thousands of runs. vitest's `expect()`
 * costs about 6 µs per call when it passes (it records the call in its state, then builds a chai
 * assertion), which over a suite of 10,000-run properties came to several seconds of CPU time. These
 * compare first and call `expect` only when the comparison fails, so a failure reads exactly as
 * `expect(actual, message).toBe(expected)` (or `.toEqual`) would: they fail in the same cases.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';

/** `expect(actual, message).toBe(expected)`, checked with `Object.is` first. */
export function oftenBe<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) expect(actual, message).toBe(expected);
}

/**
 * `expect(actual, message).toEqual(expected)`, checked with `isDeepStrictEqual` first: values it
 * finds equal (same prototypes, same own properties, same values) are equal for `toEqual` too,
 * which is the looser of the two; any other pair goes to `toEqual`, which decides.
 */
export function oftenEqual<T>(actual: T, expected: T, message?: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, message).toEqual(expected);
}

/** `expect(actual, message).toMatch(pattern)`, tested first (`pattern` has neither the g nor the y flag, so testing keeps no state). */
export function oftenMatch(actual: unknown, pattern: RegExp, message?: string): void {
  if (!(typeof actual === 'string' && pattern.test(actual))) expect(actual, message).toMatch(pattern);
}

/** `expect(actual, message).toBeInstanceOf(type)`, checked with `instanceof` first. */
export function oftenInstanceOf(actual: unknown, type: abstract new (...args: never[]) => unknown, message?: string): void {
  if (!(actual instanceof type)) expect(actual, message).toBeInstanceOf(type);
}

/** `expect(actual).toBeGreaterThanOrEqual(min)` and `expect(actual).toBeLessThan(below)`, compared first (a number only: anything else goes to `expect`, which refuses it). */
export function oftenWithin(actual: unknown, min: number, below: number): void {
  if (typeof actual === 'number' && actual >= min && actual < below) return;
  expect(actual).toBeGreaterThanOrEqual(min);
  expect(actual).toBeLessThan(below);
}
