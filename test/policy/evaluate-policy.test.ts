import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { evaluatePolicy, wildcardMatch } from '../../shared/policy/evaluate-policy';
import { type PolicyStatement, type SessionPolicy, buildSessionPolicy } from '../../shared/policy/session-policy';
import type { ScopeAction } from '../../shared/policy/scopes';
import { oftenBe } from '../helpers/often';

/** RAM wildcard semantics written independently: `*` any run (`/` included), `?` one character, everything else literal. */
function referenceMatch(pattern: string, value: string): boolean {
  const source = [...pattern].map((char) => (char === '*' ? '[\\s\\S]*' : char === '?' ? '[\\s\\S]' : char.replace(/[\\^$.|+()[\]{}/]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'u').test(value);
}

const policyFor = (actions: readonly ScopeAction[]): SessionPolicy =>
  buildSessionPolicy({ bucket: 'photos', scope: { prefix: 'users/${sub}/', actions }, identity: 'alice', identityClaim: 'sub' }).document;

const withStatement = (policy: SessionPolicy, statement: PolicyStatement): SessionPolicy => ({ ...policy, Statement: [...policy.Statement, statement] });

const object = (key: string) => `acs:oss:*:*:photos/${key}`;

describe('wildcardMatch', () => {
  it('lets * span any run of characters, "/" included, and the empty run', () => {
    expect(wildcardMatch('photos/users/alice/*', 'photos/users/alice/a/b/c.jpg')).toBe(true);
    expect(wildcardMatch('photos/users/alice/*', 'photos/users/alice/')).toBe(true);
    expect(wildcardMatch('a*b*c', 'abc')).toBe(true);
    expect(wildcardMatch('*', '')).toBe(true);
    expect(wildcardMatch('*', 'any/thing')).toBe(true);
  });

  it('lets ? stand for exactly one character', () => {
    expect(wildcardMatch('a?c', 'abc')).toBe(true);
    expect(wildcardMatch('a?c', 'a/c')).toBe(true);
    expect(wildcardMatch('a?c', 'ac')).toBe(false);
    expect(wildcardMatch('a?c', 'abbc')).toBe(false);
  });

  it('matches every other character literally and case-sensitively, over the whole value', () => {
    expect(wildcardMatch('photos/users/alice/*', 'photos/users/alice2/a.jpg')).toBe(false);
    expect(wildcardMatch('photos/users/alice/*', 'photos/users/Alice/a.jpg')).toBe(false);
    expect(wildcardMatch('photos/a.jpg', 'photos/a.jpg')).toBe(true);
    expect(wildcardMatch('photos/a.jpg', 'photos/a.jpgx')).toBe(false);
    expect(wildcardMatch('photos/a.jpg', 'xphotos/a.jpg')).toBe(false);
    expect(wildcardMatch('a.c', 'abc')).toBe(false);
  });

  it('matches the empty pattern with the empty value only', () => {
    expect(wildcardMatch('', '')).toBe(true);
    expect(wildcardMatch('', 'a')).toBe(false);
    expect(wildcardMatch('a', '')).toBe(false);
    expect(wildcardMatch('?', '')).toBe(false);
  });

  it('treats a * in the value as an ordinary character that the pattern\'s * may span', () => {
    // Resources always hold "acs:oss:*:*:", so a value's "*" meets the pattern's "*" in every evaluation.
    expect(wildcardMatch('a*c', 'a*xc')).toBe(true);
    expect(wildcardMatch('acs:oss:*:*:photos/users/alice/*', 'acs:oss:*:*:photos/users/alice/*x')).toBe(true);
    expect(wildcardMatch('acs:oss:*:*:photos/users/alice/*', 'acs:oss:*:*:photos/users/bob/*')).toBe(false);
  });

  it('agrees with a regular-expression reference matcher on arbitrary patterns and values', () => {
    const char = fc.constantFrom('a', 'b', '/', '*', '?', '.', 'é');
    const text = fc.string({ unit: char, maxLength: 12 });
    fc.assert(
      fc.property(text, text, (pattern, value) => {
        oftenBe(wildcardMatch(pattern, value), referenceMatch(pattern, value));
      }),
      { numRuns: 10_000 },
    );
  });

  it('matches every value derived from the pattern by replacing its wildcards', () => {
    const piece = fc.oneof(fc.constantFrom('*', '?'), fc.string({ unit: fc.constantFrom('a', 'b', '/'), minLength: 1, maxLength: 4 }));
    const filler = fc.string({ unit: fc.constantFrom('a', '*', '?', '/'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(filler, { minLength: 8, maxLength: 8 }), fc.array(fc.constantFrom('a', '*', '/'), { minLength: 8, maxLength: 8 }), (pieces, fills, singles) => {
        // Prepare
        const pattern = pieces.join('');
        const value = pieces.map((part, index) => (part === '*' ? fills[index] : part === '?' ? singles[index] : part)).join('');
        // Act + Assess
        oftenBe(wildcardMatch(pattern, value), true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('evaluatePolicy', () => {
  it('allows an action the built policy grants on a key under the caller\'s prefix', () => {
    // Prepare
    const policy = policyFor(['read', 'write']);
    // Act + Assess
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice/a.jpg'))).toBe('allow');
    expect(evaluatePolicy(policy, 'oss:PutObject', object('users/alice/dir/b.bin'))).toBe('allow');
    expect(evaluatePolicy(policy, 'oss:AbortMultipartUpload', object('users/alice/b.bin'))).toBe('allow');
    expect(evaluatePolicy(policy, 'oss:ListParts', object('users/alice/b.bin'))).toBe('allow');
  });

  it('denies implicitly an action no statement grants, a key outside the prefix and another bucket', () => {
    const policy = policyFor(['read']);
    expect(evaluatePolicy(policy, 'oss:PutObject', object('users/alice/a.jpg'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:DeleteObject', object('users/alice/a.jpg'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/bob/a.jpg'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice2/a.jpg'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:GetObject', 'acs:oss:*:*:other/users/alice/a.jpg')).toBe('implicit-deny');
  });

  it('denies implicitly when the policy has no statement at all', () => {
    expect(evaluatePolicy({ Version: '1', Statement: [] }, 'oss:GetObject', object('users/alice/a.jpg'))).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over an Allow that also covers the request', () => {
    // Prepare
    const policy = withStatement(policyFor(['read', 'write']), { Effect: 'Deny', Action: ['oss:PutObject'], Resource: [object('users/alice/locked/*')] });
    // Act + Assess
    expect(evaluatePolicy(policy, 'oss:PutObject', object('users/alice/locked/a.jpg'))).toBe('explicit-deny');
    expect(evaluatePolicy(policy, 'oss:PutObject', object('users/alice/open/a.jpg'))).toBe('allow');
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice/locked/a.jpg'))).toBe('allow');
  });

  it('lets a Deny win whatever the order of the statements', () => {
    const deny: PolicyStatement = { Effect: 'Deny', Action: ['oss:*'], Resource: ['*'] };
    const policy: SessionPolicy = { Version: '1', Statement: [deny, ...policyFor(['read']).Statement] };
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice/a.jpg'))).toBe('explicit-deny');
  });

  it('grants nothing through a conditional Allow, since conditions are not evaluated', () => {
    // Prepare: the list scope's statement is conditional on oss:Prefix
    const listing = policyFor(['list']);
    const conditional = withStatement(
      { Version: '1', Statement: [] },
      { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [object('users/alice/*')], Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } },
    );
    // Act + Assess
    expect(evaluatePolicy(listing, 'oss:ListObjects', 'acs:oss:*:*:photos')).toBe('implicit-deny');
    expect(evaluatePolicy(conditional, 'oss:GetObject', object('users/alice/a.jpg'))).toBe('implicit-deny');
  });

  it('denies through a conditional Deny, since a doubt always refuses', () => {
    const policy = withStatement(policyFor(['read']), {
      Effect: 'Deny',
      Action: ['oss:GetObject'],
      Resource: [object('users/alice/*')],
      Condition: { Bool: { 'acs:SecureTransport': ['false'] } },
    });
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice/a.jpg'))).toBe('explicit-deny');
  });

  it('matches actions case-insensitively, in the pattern and in the action asked for', () => {
    const policy: SessionPolicy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['OSS:getobject'], Resource: [object('*')] }] };
    expect(evaluatePolicy(policy, 'oss:GetObject', object('a'))).toBe('allow');
    expect(evaluatePolicy(policy, 'OSS:GETOBJECT', object('a'))).toBe('allow');
    expect(evaluatePolicy(policy, 'oss:PutObject', object('a'))).toBe('implicit-deny');
  });

  it('matches resources case-sensitively', () => {
    const policy = policyFor(['read']);
    expect(evaluatePolicy(policy, 'oss:GetObject', object('USERS/alice/a.jpg'))).toBe('implicit-deny');
  });

  it('supports oss:* and oss:Get* action wildcards', () => {
    const all: SessionPolicy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: [object('*')] }] };
    const gets: SessionPolicy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:Get*'], Resource: [object('*')] }] };
    expect(evaluatePolicy(all, 'oss:DeleteObject', object('a'))).toBe('allow');
    expect(evaluatePolicy(all, 'kms:Decrypt', object('a'))).toBe('implicit-deny');
    expect(evaluatePolicy(gets, 'oss:GetObject', object('a'))).toBe('allow');
    expect(evaluatePolicy(gets, 'oss:GetObjectAcl', object('a'))).toBe('allow');
    expect(evaluatePolicy(gets, 'oss:PutObject', object('a'))).toBe('implicit-deny');
  });

  it('allows a key holding * and ? literally when the prefix pattern covers it', () => {
    const policy = policyFor(['read']);
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice/*'))).toBe('allow');
    expect(evaluatePolicy(policy, 'oss:GetObject', object('users/alice/*?x'))).toBe('allow');
  });
});
