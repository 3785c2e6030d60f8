import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { roleSessionName } from '../../shared/sts/role-session-name';
import { oftenBe, oftenMatch } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** What STS accepts (capped at the conservative 32 characters). */
const VALID_NAME = /^[A-Za-z0-9.@_-]{2,32}$/;
/** A name that could not hold the identity as is: its readable part, "-", and 8 hex characters of hash. */
const HASHED_NAME = /^([A-Za-z0-9.@_-]*)-[0-9a-f]{8}$/;

const safeIdentityChar = fc.constantFrom(...'ABCXYZabcxyz0123456789._@|-');
const safeIdentity = fc
  .tuple(fc.constantFrom(...'Aaz09'), fc.string({ unit: safeIdentityChar, maxLength: 63 }))
  .map(([first, rest]) => first + rest)
  .filter((value) => !value.includes('..'));

/** The readable part a hashed name keeps: the identity's allowed characters, in order, from the start. */
function readablePart(name: string): string {
  const match = HASHED_NAME.exec(name);
  expect(match, `${name} should end in "-" and 8 hex characters`).not.toBeNull();
  return match![1]!;
}

describe('roleSessionName', () => {
  it.each(['alice', 'ab', 'alice.smith@example.com', 'Alice_Smith-2', '550e8400-e29b-41d4-a716', 'user-2024', 'a'.repeat(32)])(
    'uses an identity that fits (%s) as is, so ActionTrail shows it',
    (identity) => {
      expect(roleSessionName(identity)).toBe(identity);
    },
  );

  it('turns auth0|abc into its readable part, "-" and an 8-hex-character hash', () => {
    // Act
    const name = roleSessionName('auth0|abc');
    // Assess
    expect(name).toMatch(VALID_NAME);
    expect(readablePart(name)).toBe('auth0abc');
  });

  it('cuts a 64-character identity to a 32-character name that starts with as much of it as fits', () => {
    // Prepare
    const identity = 'abcdefghij'.repeat(6) + 'wxyz';
    // Act
    const name = roleSessionName(identity);
    // Assess
    expect(name).toMatch(VALID_NAME);
    expect(name).toHaveLength(32);
    expect(readablePart(name)).toBe(identity.slice(0, 23));
  });

  it('gives a single-character identity a valid name that still shows it', () => {
    // Act
    const name = roleSessionName('a');
    // Assess
    expect(name).toMatch(VALID_NAME);
    expect(readablePart(name)).toBe('a');
  });

  it('gives a 33-character identity a hashed name, one of 32 characters a plain one', () => {
    expect(roleSessionName('a'.repeat(32))).toBe('a'.repeat(32));
    const name = roleSessionName('a'.repeat(33));
    expect(name).toMatch(VALID_NAME);
    expect(readablePart(name)).toBe('a'.repeat(23));
  });

  it('tells apart identities that differ only beyond the readable part', () => {
    const shared = 'x'.repeat(40);
    const names = new Set(['1', '2', '3', 'a', 'b', 'c'].map((end) => roleSessionName(shared + end)));
    expect(names.size).toBe(6);
  });

  it('tells apart identities that differ only in characters STS does not accept', () => {
    const names = new Set(['auth0|abc', 'auth0abc', 'auth0||abc', 'auth|0abc'].map(roleSessionName));
    expect(names.size).toBe(4);
  });

  it('does not let an identity shaped like another identity\'s hashed name take that name', () => {
    for (const identity of ['a', 'auth0|abc', 'z'.repeat(64)]) {
      // Prepare
      const hashed = roleSessionName(identity);
      // Act
      const impostor = roleSessionName(hashed);
      // Assess
      expect(impostor).not.toBe(hashed);
      expect(impostor).toMatch(VALID_NAME);
    }
  });

  it('hashes an identity that fits but ends like a hashed name ("-" and 8 hex characters), keeping it readable', () => {
    // Act
    const name = roleSessionName('user-20240101');
    // Assess
    expect(name).toMatch(VALID_NAME);
    expect(readablePart(name)).toBe('user-20240101');
  });

  it('gives the same identity the same name every time', () => {
    fc.assert(
      fc.property(safeIdentity, (identity) => {
        oftenBe(roleSessionName(identity), roleSessionName(identity));
      }),
      { numRuns: 1_000 },
    );
  });

  it('always yields 2 to 32 characters of [A-Za-z0-9.@_-] for a safe identity (property)', () => {
    fc.assert(
      fc.property(safeIdentity, (identity) => {
        const name = roleSessionName(identity);
        oftenMatch(name, VALID_NAME);
        // and a name is either the identity itself or a hashed name beginning with its allowed characters
        if (name !== identity) oftenBe(identity.replace(/\|/g, '').startsWith(readablePart(name)), true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('always yields a valid name even for identities it is never meant to see (property, any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: BINARY, maxLength: 80 }), (identity) => {
        oftenMatch(roleSessionName(identity), VALID_NAME);
      }),
      { numRuns: 10_000 },
    );
  });

  it('gives distinct identities distinct names (property over pairs, biased towards look-alikes)', () => {
    const lookAlike = safeIdentity.chain((identity) =>
      fc.oneof(
        safeIdentity.map((other) => [identity, other] as const),
        fc.constant([identity, roleSessionName(identity)] as const),
        fc.constant([identity, identity.replace(/\|/g, '')] as const),
        fc.constant([identity, `${identity}|`.slice(0, 64)] as const),
        fc.string({ unit: safeIdentityChar, minLength: 1, maxLength: 41 }).map((more) => [identity, (identity + more).slice(0, 64)] as const),
        safeIdentityChar.map((last) => [identity, identity.slice(0, -1) + last] as const),
      ),
    );
    fc.assert(
      fc.property(lookAlike, ([one, other]) => {
        fc.pre(one !== other);
        const [first, second] = [roleSessionName(one), roleSessionName(other)];
        if (first === second) expect(first).not.toBe(second);
      }),
      { numRuns: 10_000 },
    );
  });
});
