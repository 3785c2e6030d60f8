/**
 * A string unit for fast-check that is exactly its `unit: 'binary'` (any code point but a lone
 * surrogate), without the cost of its table.
 *
 * fast-check 4 builds `unit: 'binary'` as `mapToConstant` over the two ranges 0–0xD7FF and
 * 0xE000–0x10FFFF: a `nat` of 1,112,064 choices mapped to code points. Its reverse mapping, which
 * `fc.string` needs once per process to see that the strings it likes to inject (`__proto__`,
 * `toString`…) can be made of that unit, is a Map of every one of those code points: about 0.7 s of
 * CPU in each test process. {@link BINARY} is the same `nat` and the same mapping, with the reverse
 * computed instead of looked up, so it generates and shrinks the same values from the same seed
 * (test/helpers/code-points.test.ts compares the two).
 */
import fc from 'fast-check';

const SURROGATES = 0x800;
const FIRST_SURROGATE = 0xd800;
/** Code points that are not surrogates: the choices of fast-check's binary unit. */
const CHOICES = 0x110000 - SURROGATES;

function toCodePoint(index: number): string {
  return String.fromCodePoint(index < FIRST_SURROGATE ? index : index + SURROGATES);
}

function toIndex(value: unknown): number {
  const codePoint = typeof value === 'string' ? value.codePointAt(0) : undefined;
  if (codePoint === undefined || value !== String.fromCodePoint(codePoint) || (codePoint >= FIRST_SURROGATE && codePoint < FIRST_SURROGATE + SURROGATES)) {
    throw new Error('not a single code point of the binary unit');
  }
  return codePoint < FIRST_SURROGATE ? codePoint : codePoint - SURROGATES;
}

/**
 * `fc.string({ unit: BINARY, maxLength })` is `fc.string({ unit: 'binary', maxLength })`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.string({ unit: BINARY, maxLength: 200 }), (text) => { ... }));
 * ```
 */
export const BINARY: fc.Arbitrary<string> = fc.nat({ max: CHOICES - 1 }).map(toCodePoint, toIndex);
