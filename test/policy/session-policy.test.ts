import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TvmError } from '../../shared/errors';
import { MAX_POLICY_LENGTH, buildSessionPolicy, scopeConfigurationProblems } from '../../shared/policy/session-policy';
import { type ScopeAction, type ScopeConfiguration, defaultScopes } from '../../shared/policy/scopes';
import { oftenBe, oftenEqual } from '../helpers/often';
import { refusal } from '../helpers/refusal';
import { BINARY } from '../helpers/code-points';

/** What the specification says a safe identity is: 1–64 of [A-Za-z0-9._@|-], starting alphanumeric, no "..". */
const SAFE_IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@|-]{0,63}$/;
const isSafeIdentity = (value: unknown): value is string => typeof value === 'string' && SAFE_IDENTITY.test(value) && !value.includes('..');

/** RAM wildcard semantics: `*` matches any sequence (including `/`), `?` exactly one character; the whole string must match. */
function ramMatches(pattern: string, value: string): boolean {
  const source = [...pattern].map((char) => (char === '*' ? '[\\s\\S]*' : char === '?' ? '[\\s\\S]' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'u').test(value);
}


const readWrite: ScopeAction[] = ['read', 'write'];
const allActions: ScopeAction[] = ['read', 'write', 'delete', 'list'];
const build = (identity: unknown, prefix: string, actions: readonly ScopeAction[], bucket = 'photos') =>
  buildSessionPolicy({ bucket, identity, identityClaim: 'sub', scope: { prefix, actions } });

// A safe identity, biased towards both short and maximal lengths.
const safeIdentityChar = fc.constantFrom(...'ABCXYZabcxyz0123456789._@|-');
const safeIdentity = fc
  .tuple(fc.constantFrom(...'Aaz09'), fc.string({ unit: safeIdentityChar, maxLength: 63 }))
  .map(([first, rest]) => first + rest)
  .filter((value) => !value.includes('..'));

describe('buildSessionPolicy', () => {
  describe('golden policies (written by hand from the specification)', () => {
    it('grants read and write under users/${sub}/ as GetObject plus PutObject and the multipart actions, on the identity prefix only', () => {
      // Prepare
      const expected =
        '{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:photos/users/alice/*"]}]}';
      // Act
      const built = build('alice', 'users/${sub}/', readWrite);
      // Assess
      expect(built.json).toBe(expected);
      expect(built.prefix).toBe('users/alice/');
      expect(built.document).toEqual(JSON.parse(expected));
    });

    it('grants read alone as oss:GetObject', () => {
      const built = build('alice', 'users/${sub}/', ['read']);
      expect(built.json).toBe('{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:photos/users/alice/*"]}]}');
    });

    it('grants write alone as PutObject, AbortMultipartUpload and ListParts', () => {
      const built = build('alice', 'users/${sub}/', ['write']);
      expect(built.json).toBe(
        '{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:photos/users/alice/*"]}]}',
      );
    });

    it('grants list as oss:ListObjects on the bucket, restricted by an oss:Prefix condition, and grants no object action', () => {
      const built = build('alice', 'users/${sub}/', ['list']);
      expect(built.json).toBe(
        '{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:photos"],"Condition":{"StringLike":{"oss:Prefix":["users/alice/*"]}}}]}',
      );
    });

    it('grants delete alone as oss:DeleteObject', () => {
      const built = build('alice', 'users/${sub}/', ['delete']);
      expect(built.json).toBe('{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:DeleteObject"],"Resource":["acs:oss:*:*:photos/users/alice/*"]}]}');
    });

    it('grants all four operations as one object statement (read, write, delete) and one list statement', () => {
      const built = build('alice', 'users/${sub}/', allActions);
      expect(built.json).toBe(
        '{"Version":"1","Statement":[' +
          '{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:AbortMultipartUpload","oss:ListParts","oss:DeleteObject"],"Resource":["acs:oss:*:*:photos/users/alice/*"]},' +
          '{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:photos"],"Condition":{"StringLike":{"oss:Prefix":["users/alice/*"]}}}' +
          ']}',
      );
    });

    it('keeps the literal text after the placeholder: tenants/${sub}/uploads/ resolves to tenants/acme/uploads/', () => {
      const built = build('acme', 'tenants/${sub}/uploads/', ['write', 'list']);
      expect(built.prefix).toBe('tenants/acme/uploads/');
      expect(built.json).toBe(
        '{"Version":"1","Statement":[' +
          '{"Effect":"Allow","Action":["oss:PutObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:photos/tenants/acme/uploads/*"]},' +
          '{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:photos"],"Condition":{"StringLike":{"oss:Prefix":["tenants/acme/uploads/*"]}}}' +
          ']}',
      );
    });

    it('uses an identity-less template such as public/ literally, whoever asks', () => {
      const forAlice = build('alice', 'public/', ['read']);
      const forBob = build('bob', 'public/', ['read']);
      expect(forAlice.prefix).toBe('public/');
      expect(forAlice.json).toBe('{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:photos/public/*"]}]}');
      expect(forBob.json).toBe(forAlice.json);
    });

    it('puts the configured bucket into every Resource', () => {
      const built = build('alice', 'users/${sub}/', ['read', 'list'], 'my-bucket-01');
      expect(built.json).toBe(
        '{"Version":"1","Statement":[' +
          '{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:my-bucket-01/users/alice/*"]},' +
          '{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:my-bucket-01"],"Condition":{"StringLike":{"oss:Prefix":["users/alice/*"]}}}' +
          ']}',
      );
    });
  });

  describe('determinism', () => {
    it('yields byte-identical JSON whatever the order or repetition of the configured actions', () => {
      // Prepare
      const canonical = build('alice', 'users/${sub}/', allActions).json;
      // Act
      const reordered = [
        build('alice', 'users/${sub}/', ['list', 'delete', 'write', 'read']).json,
        build('alice', 'users/${sub}/', ['write', 'list', 'read', 'delete']).json,
        build('alice', 'users/${sub}/', ['delete', 'read', 'read', 'list', 'write', 'list']).json,
      ];
      // Assess
      for (const json of reordered) expect(json).toBe(canonical);
    });

    it('yields identical JSON when built twice, and the same JSON for any permutation of the same actions (property)', () => {
      fc.assert(
        fc.property(safeIdentity, fc.shuffledSubarray(allActions, { minLength: 1 }), (identity, shuffled) => {
          const inCanonicalOrder = allActions.filter((action) => shuffled.includes(action));
          const first = build(identity, 'users/${sub}/', inCanonicalOrder);
          const second = build(identity, 'users/${sub}/', inCanonicalOrder);
          const third = build(identity, 'users/${sub}/', shuffled);
          oftenBe(second.json, first.json);
          oftenBe(third.json, first.json);
          oftenBe(first.prefix, `users/${identity}/`);
        }),
        { numRuns: 10_000 },
      );
    });
  });

  describe('hostile identities', () => {
    const hostile: ReadonlyArray<[string, unknown]> = [
      ['a wildcard *', '*'],
      ['a wildcard ?', '?'],
      ['a slash', '/'],
      ['a path a/b', 'a/b'],
      ['the parent segment ..', '..'],
      ['an inner ..', 'a..b'],
      ['a leading dot', '.hidden'],
      ['a double quote', '"'],
      ['a single quote', "'"],
      ['a space', ' '],
      ['a space inside', 'alice smith'],
      ['a newline', '\n'],
      ['a NUL', '\u0000'],
      ['a placeholder', '${sub}'],
      ['a non-ASCII letter', 'é'],
      ['non-ASCII text', '用户'],
      ['a backslash', 'a\\b'],
      ['a percent-encoded slash', 'a%2Fb'],
      ['a leading dash', '-alice'],
      ['the empty string', ''],
      ['65 characters', 'a'.repeat(65)],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an array', ['alice']],
      ['an object', { sub: 'alice' }],
    ];

    it.each(hostile)('refuses %s with 403 InvalidIdentity naming the claim, and builds nothing', (_label, identity) => {
      // Act
      const error = refusal(() => buildSessionPolicy({ bucket: 'photos', identity, identityClaim: 'preferred_username', scope: { prefix: 'users/${preferred_username}/', actions: readWrite } }));
      // Assess
      expect(error.status).toBe(403);
      expect(error.code).toBe('InvalidIdentity');
      expect(error.message).toContain('preferred_username');
    });

    it('refuses an unsafe identity even when the template does not use it', () => {
      const error = refusal(() => build('*', 'public/', ['read']));
      expect(error.code).toBe('InvalidIdentity');
    });

    it('never echoes the hostile value in the refusal message', () => {
      // Prepare: every hostile kind, wrapped in a marker that is easy to look for
      const marked: unknown[] = [
        'canary*canary',
        'canary?canary',
        'canary/canary',
        'canary..canary',
        'canary"canary',
        "canary'canary",
        'canary canary',
        'canary\ncanary',
        'canary\u0000canary',
        'canary${sub}canary',
        'canaryécanary',
        'canary用户canary',
        '.canary',
        '_canary',
        'canary'.repeat(11),
        ['canary'],
        { canary: 'canary' },
      ];
      for (const identity of marked) {
        // Act
        const error = refusal(() => build(identity, 'users/${sub}/', readWrite));
        // Assess
        expect(error.code).toBe('InvalidIdentity');
        expect(error.message).not.toMatch(/canary/i);
      }
    });

    it('accepts exactly the identities of the strict character set, and puts them verbatim under the prefix (property, binary strings)', () => {
      fc.assert(fc.property(fc.string({ unit: BINARY, maxLength: 80 }), checkIdentityOutcome), { numRuns: 10_000 });
    });

    it('accepts exactly the identities of the strict character set, and puts them verbatim under the prefix (property, hostile alphabet)', () => {
      const hostileUnit = fc.constantFrom('*', '?', '/', '.', '..', '"', "'", '\\', '$', '{', '}', '${', ' ', '\n', '\t', '%', '&', '|', '@', '-', '_', 'a', 'b', '1', 'é', '\u0000', '用');
      fc.assert(fc.property(fc.string({ unit: hostileUnit, maxLength: 70 }), checkIdentityOutcome), { numRuns: 10_000 });
    });

    it('accepts exactly the identities of the strict character set, whatever the value type (property, any JSON value)', () => {
      fc.assert(fc.property(fc.jsonValue(), checkIdentityOutcome), { numRuns: 10_000 });
    });
  });

  describe('prefix isolation', () => {
    const userOneResource = build('user1', 'users/${sub}/', allActions).document.Statement[0]!.Resource[0]!;

    it('lets user1 reach keys under users/user1/ but never under users/user10/', () => {
      expect(ramMatches(userOneResource, 'acs:oss:*:*:photos/users/user1/x')).toBe(true);
      expect(ramMatches(userOneResource, 'acs:oss:*:*:photos/users/user1/deep/er/x.jpg')).toBe(true);
      expect(ramMatches(userOneResource, 'acs:oss:*:*:photos/users/user10/x')).toBe(false);
      expect(ramMatches(userOneResource, 'acs:oss:*:*:photos/users/user1')).toBe(false);
      expect(ramMatches(userOneResource, 'acs:oss:*:*:photos/users/user1.x/y')).toBe(false);
      expect(ramMatches(userOneResource, 'acs:oss:*:*:photos/users/x')).toBe(false);
      expect(ramMatches(userOneResource, 'acs:oss:*:*:other/users/user1/x')).toBe(false);
    });

    it('lets user1 list with the prefix users/user1/ but not users/user10/ or users/', () => {
      const condition = build('user1', 'users/${sub}/', ['list']).document.Statement[0]!.Condition!['StringLike']!['oss:Prefix']![0]!;
      expect(ramMatches(condition, 'users/user1/')).toBe(true);
      expect(ramMatches(condition, 'users/user1/photos/')).toBe(true);
      expect(ramMatches(condition, 'users/user10/')).toBe(false);
      expect(ramMatches(condition, 'users/user1')).toBe(false);
      expect(ramMatches(condition, 'users/')).toBe(false);
    });

    it('never lets one identity reach another identity\'s keys (property over pairs, including extensions such as user1/user10)', () => {
      const pair = fc.oneof(
        fc.tuple(safeIdentity, safeIdentity),
        fc.tuple(safeIdentity, fc.string({ unit: safeIdentityChar, minLength: 1, maxLength: 8 })).map(([a, more]) => [a, (a + more).slice(0, 64)] as [string, string]),
      );
      const template = fc.constantFrom('users/${sub}/', '${sub}/', 'tenants/${sub}/uploads/', 'a-${sub}/');
      fc.assert(
        fc.property(pair, template, ([one, other], prefixTemplate) => {
          fc.pre(one !== other && isSafeIdentity(other));
          const a = build(one, prefixTemplate, allActions);
          const b = build(other, prefixTemplate, allActions);
          // neither resolved prefix is a prefix of the other
          oftenBe(b.prefix.startsWith(a.prefix), false);
          oftenBe(a.prefix.startsWith(b.prefix), false);
          // and under RAM wildcard semantics, a's grants match none of b's keys or list prefixes
          const objectResource = a.document.Statement[0]!.Resource[0]!;
          const listPrefix = a.document.Statement[1]!.Condition!['StringLike']!['oss:Prefix']![0]!;
          oftenBe(ramMatches(objectResource, `acs:oss:*:*:photos/${b.prefix}x`), false);
          oftenBe(ramMatches(listPrefix, b.prefix), false);
          oftenBe(ramMatches(objectResource, `acs:oss:*:*:photos/${a.prefix}x`), true);
        }),
        { numRuns: 10_000 },
      );
    });
  });

  describe('size limit', () => {
    // Written by hand: a read-only policy is this text around its prefix (111 characters besides the prefix).
    const readOnlyJson = (prefix: string) => `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:photos/${prefix}*"]}]}`;

    it('accepts a policy of exactly 1024 characters', () => {
      // Prepare
      const prefix = `${'a'.repeat(912)}/`;
      expect(readOnlyJson(prefix)).toHaveLength(1024);
      // Act
      const built = build('alice', prefix, ['read']);
      // Assess
      expect(built.json).toBe(readOnlyJson(prefix));
      expect(MAX_POLICY_LENGTH).toBe(1024);
    });

    it('refuses at request time a policy of 1025 characters with PolicyTooLarge', () => {
      // Prepare
      const prefix = `${'a'.repeat(913)}/`;
      expect(readOnlyJson(prefix)).toHaveLength(1025);
      // Act
      const error = refusal(() => build('alice', prefix, ['read']));
      // Assess
      expect(error.code).toBe('PolicyTooLarge');
      expect(error.status).toBe(500);
      expect(error.message).toContain('1024');
    });

    it('refuses a policy made too long by a long identity', () => {
      const error = refusal(() => build('x'.repeat(64), `${'t'.repeat(600)}/\${sub}/${'u'.repeat(300)}/`, allActions));
      expect(error.code).toBe('PolicyTooLarge');
    });
  });

  describe('invalid templates at request time', () => {
    it('refuses a scope whose template is invalid with 500 InvalidConfiguration, never building a policy', () => {
      const error = refusal(() => build('alice', 'users/*/${sub}/', ['read']));
      expect(error.status).toBe(500);
      expect(error.code).toBe('InvalidConfiguration');
    });
  });
});

describe('scopeConfigurationProblems', () => {
  it('finds no problem in a sound configuration', () => {
    const scopes: ScopeConfiguration = {
      user: { prefix: 'users/${sub}/', actions: ['read', 'write'] },
      uploads: { prefix: 'tenants/${sub}/uploads/', actions: ['write', 'list'] },
      public: { prefix: 'public/', actions: ['read', 'list'] },
      all: { prefix: 'users/${sub}/', actions: allActions },
    };
    expect(scopeConfigurationProblems(scopes, 'photos', 'sub')).toEqual([]);
  });

  it('finds no problem in the default configuration, even with a 63-character bucket name', () => {
    expect(scopeConfigurationProblems(defaultScopes('sub'), 'b'.repeat(63), 'sub')).toEqual([]);
  });

  // Written by hand: a read-only scope `<head>/${sub}/` with a 64-character identity has a prefix of head + 66 characters.
  it('accepts a scope whose worst case (64-character identity) is exactly 1024 characters', () => {
    const scopes: ScopeConfiguration = { edge: { prefix: `${'h'.repeat(847)}/\${sub}/`, actions: ['read'] } };
    expect(scopeConfigurationProblems(scopes, 'photos', 'sub')).toEqual([]);
    expect(build('x'.repeat(64), scopes['edge']!.prefix, ['read']).json).toHaveLength(1024);
  });

  it('refuses, naming the scope, one whose worst case (64-character identity) exceeds 1024 characters', () => {
    // Prepare
    const scopes: ScopeConfiguration = {
      fine: { prefix: 'users/${sub}/', actions: ['read'] },
      huge: { prefix: `${'h'.repeat(848)}/\${sub}/`, actions: ['read'] },
    };
    // Act
    const problems = scopeConfigurationProblems(scopes, 'photos', 'sub');
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"huge"');
    expect(problems[0]).toContain('1024');
    // and the same scope does build for a short identity: only the cold-start check protects it
    expect(() => build('al', scopes['huge']!.prefix, ['read'])).not.toThrow();
  });

  it('counts the bucket name towards the worst case', () => {
    const scopes: ScopeConfiguration = { edge: { prefix: `${'h'.repeat(847)}/\${sub}/`, actions: ['read'] } };
    expect(scopeConfigurationProblems(scopes, 'photos1', 'sub')).toHaveLength(1);
  });

  const invalidTemplates: ReadonlyArray<[string, string]> = [
    ['no trailing "/"', 'users/${sub}/files'],
    ['no trailing "/" and no placeholder', 'public'],
    ['the placeholder twice', 'users/${sub}/${sub}/'],
    ['the placeholder not followed by "/"', 'users/${sub}-files/'],
    ['the placeholder at the very end', 'users/${sub}'],
    ['a leading "/"', '/users/${sub}/'],
    ['an empty segment "//"', 'users//${sub}/'],
    ['a "." segment', 'users/./${sub}/'],
    ['a ".." segment', 'users/../${sub}/'],
    ['a ".." segment after the placeholder', 'users/${sub}/../'],
    ['another claim\'s placeholder', 'users/${email}/'],
    ['a second, different placeholder', 'users/${sub}/${email}/'],
    ['an unterminated placeholder', 'users/${sub/'],
    ['a "*"', 'users*/${sub}/'],
    ['a "?"', 'users?/${sub}/'],
    ['a space', 'my users/${sub}/'],
    ['a "$"', 'users$/${sub}/'],
    ['non-ASCII text', 'usérs/${sub}/'],
    ['only "/"', '/'],
    ['nothing', ''],
  ];

  it.each(invalidTemplates)('refuses a template with %s, naming the scope', (_label, prefix) => {
    const problems = scopeConfigurationProblems({ user: { prefix, actions: ['read'] } }, 'photos', 'sub');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"user"');
  });

  it('refuses a scope that grants no action, naming it', () => {
    const problems = scopeConfigurationProblems({ idle: { prefix: 'users/${sub}/', actions: [] } }, 'photos', 'sub');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"idle"');
  });

  it('reports every faulty scope, one problem each', () => {
    const problems = scopeConfigurationProblems(
      {
        a: { prefix: 'users/${sub}', actions: ['read'] },
        b: { prefix: 'users/${sub}/', actions: [] },
        c: { prefix: 'users/${sub}/', actions: ['read'] },
        d: { prefix: `${'h'.repeat(900)}/\${sub}/`, actions: ['read'] },
      },
      'photos',
      'sub',
    );
    expect(problems).toHaveLength(3);
    expect(problems.map((problem) => problem.match(/"([a-z])"/)?.[1])).toEqual(['a', 'b', 'd']);
  });

  it('guarantees that a configuration it accepts never yields PolicyTooLarge for any safe identity (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.subarray(allActions, { minLength: 1 }),
        fc.constantFrom('photos', 'b'.repeat(63)),
        safeIdentity,
        (headLength, actions, bucket, identity) => {
          const prefix = `${'h'.repeat(headLength)}/\${sub}/`;
          fc.pre(scopeConfigurationProblems({ s: { prefix, actions } }, bucket, 'sub').length === 0);
          const built = buildSessionPolicy({ bucket, identity, identityClaim: 'sub', scope: { prefix, actions } });
          if (!(built.json.length <= MAX_POLICY_LENGTH)) expect(built.json.length).toBeLessThanOrEqual(MAX_POLICY_LENGTH);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

/** The outcome the specification demands for any candidate identity under users/${sub}/ in photos. */
function checkIdentityOutcome(identity: unknown): void {
  let built: ReturnType<typeof buildSessionPolicy> | undefined;
  let thrown: unknown;
  try {
    built = build(identity, 'users/${sub}/', allActions);
  } catch (error) {
    thrown = error;
  }
  if (!isSafeIdentity(identity)) {
    if (built !== undefined) expect(built).toBeUndefined();
    if (!(thrown instanceof TvmError)) expect(thrown).toBeInstanceOf(TvmError);
    oftenBe((thrown as TvmError).status, 403);
    oftenBe((thrown as TvmError).code, 'InvalidIdentity');
    return;
  }
  if (thrown !== undefined) expect(thrown).toBeUndefined();
  const policy = built!;
  oftenBe(policy.prefix, `users/${identity}/`);
  oftenEqual(JSON.parse(policy.json), policy.document);
  const objectStatements = policy.document.Statement.filter((statement) => !statement.Action.includes('oss:ListObjects'));
  if (!(objectStatements.length > 0)) expect(objectStatements.length).toBeGreaterThan(0);
  for (const statement of objectStatements) {
    oftenEqual(statement.Resource, [`acs:oss:*:*:photos/users/${identity}/*`]);
  }
  for (const statement of policy.document.Statement.filter((candidate) => candidate.Action.includes('oss:ListObjects'))) {
    oftenEqual(statement.Resource, ['acs:oss:*:*:photos']);
    oftenEqual(statement.Condition, { StringLike: { 'oss:Prefix': [`users/${identity}/*`] } });
  }
}
