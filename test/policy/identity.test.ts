import { describe, it, expect } from 'vitest';
import { oftenMatch } from '../helpers/often';
import fc from 'fast-check';
import { TvmError } from '../../shared/errors';
import { MAX_IDENTITY_LENGTH, identityProblem, requireSafeIdentity } from '../../shared/policy/identity';

const accepted: ReadonlyArray<[string, string]> = [
  ['a plain name', 'alice'],
  ['a single character', 'a'],
  ['a single digit', '7'],
  ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
  ['an email address', 'alice.smith@example.com'],
  ['an Auth0 subject', 'auth0|5f7c8e'],
  ['a name with underscore and dash', 'Alice_Smith-2'],
  ['a trailing dot', 'a.'],
  ['64 characters', 'a'.repeat(64)],
];

describe('identityProblem', () => {
  it('allows identities of at most 64 characters', () => {
    expect(MAX_IDENTITY_LENGTH).toBe(64);
  });

  it.each(accepted)('accepts %s', (_label, identity) => {
    expect(identityProblem(identity)).toBeUndefined();
  });

  const refused: ReadonlyArray<[string, unknown, RegExp]> = [
    ['a number', 42, /not a string/],
    ['null', null, /not a string/],
    ['undefined', undefined, /not a string/],
    ['an array', ['alice'], /not a string/],
    ['an object', { sub: 'alice' }, /not a string/],
    ['a String object', new String('alice'), /not a string/],
    ['the empty string', '', /empty/],
    ['65 characters', 'a'.repeat(65), /longer than 64/],
    ['a wildcard *', '*', /may hold only/],
    ['a wildcard ? inside', 'al?ce', /may hold only/],
    ['a slash', 'a/b', /may hold only/],
    ['a leading dot', '.hidden', /start with a letter or digit/],
    ['the parent segment ..', '..', /start with a letter or digit/],
    ['an inner ..', 'a..b', /"\.\."/],
    ['a trailing ..', 'ab..', /"\.\."/],
    ['a leading dash', '-alice', /start with a letter or digit/],
    ['a leading @', '@alice', /start with a letter or digit/],
    ['a leading |', '|alice', /start with a letter or digit/],
    ['a double quote', 'a"b', /may hold only/],
    ['a single quote', "a'b", /may hold only/],
    ['a space', 'alice smith', /may hold only/],
    ['a tab', 'a\tb', /may hold only/],
    ['a newline at the end', 'alice\n', /may hold only/],
    ['a NUL', 'a\u0000', /may hold only/],
    ['a placeholder', 'a${sub}', /may hold only/],
    ['a plus sign', 'a+b', /may hold only/],
    ['a percent sign', 'a%2F', /may hold only/],
    ['a non-ASCII letter', 'josé', /may hold only/],
    ['a full-width letter', 'ａlice', /may hold only/],
    ['CJK text', '用户', /may hold only/],
    ['an emoji', 'a😀', /may hold only/],
  ];

  it.each(refused)('refuses %s, saying why', (_label, value, reason) => {
    // Act
    const problem = identityProblem(value);
    // Assess
    expect(problem).toMatch(reason);
  });

  it('counts length in characters: 64 is the limit, 65 is refused whatever the characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcXYZ019_@|-'), minLength: 63, maxLength: 63 }), (rest) => {
        expect(identityProblem(`a${rest}`)).toBeUndefined();
        oftenMatch(identityProblem(`a${rest}b`), /longer than 64/);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('requireSafeIdentity', () => {
  it('returns a safe identity unchanged', () => {
    expect(requireSafeIdentity('auth0|5f7c8e', 'sub')).toBe('auth0|5f7c8e');
  });

  it('refuses an unsafe identity with 403 InvalidIdentity naming the claim and the reason, not the value', () => {
    // Act
    let error: unknown;
    try {
      requireSafeIdentity('canary/../*', 'email');
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(TvmError);
    const refusal = error as TvmError;
    expect(refusal.status).toBe(403);
    expect(refusal.code).toBe('InvalidIdentity');
    expect(refusal.message).toContain('"email"');
    expect(refusal.message).toMatch(/may hold only/);
    expect(refusal.message).not.toContain('canary');
  });
});
