import { describe, it, expect } from 'vitest';
import { SCOPE_ACTIONS, type ScopeConfiguration, defaultScopes, parsePrefixTemplate, selectScope } from '../../shared/policy/scopes';
import { refusal } from '../helpers/refusal';


describe('SCOPE_ACTIONS', () => {
  it('lists the four operations a scope may grant, in policy order', () => {
    expect(SCOPE_ACTIONS).toEqual(['read', 'write', 'delete', 'list']);
  });
});

describe('parsePrefixTemplate', () => {
  const accepted: ReadonlyArray<[string, string, { head: string; tail?: string }]> = [
    ['users/${sub}/', 'sub', { head: 'users/', tail: '/' }],
    ['tenants/${sub}/uploads/', 'sub', { head: 'tenants/', tail: '/uploads/' }],
    ['${sub}/', 'sub', { head: '', tail: '/' }],
    ['public/', 'sub', { head: 'public/' }],
    ['a/b/c/', 'sub', { head: 'a/b/c/' }],
    ['users/${email}/', 'email', { head: 'users/', tail: '/' }],
    ['users/${custom:user.id}/', 'custom:user.id', { head: 'users/', tail: '/' }],
    ['v1.0/A_b@c=d+e-f/${sub}/', 'sub', { head: 'v1.0/A_b@c=d+e-f/', tail: '/' }],
    ['...x/${sub}/', 'sub', { head: '...x/', tail: '/' }],
  ];

  it.each(accepted)('accepts %s (claim %s) as head + identity + tail', (template, claim, expected) => {
    // Act
    const parsed = parsePrefixTemplate(template, claim);
    // Assess
    expect(parsed).toEqual(expected);
  });

  it('reads an identity-less template as literal text: it has no tail', () => {
    const parsed = parsePrefixTemplate('public/', 'sub');
    expect(typeof parsed).toBe('object');
    expect(parsed).not.toHaveProperty('tail');
  });

  const refused: ReadonlyArray<[string, string, RegExp]> = [
    ['no trailing "/"', 'public', /end with "\/"/],
    ['no trailing "/" after literal text', 'users/${sub}/files', /end with "\/"/],
    ['the placeholder twice', 'users/${sub}/${sub}/', /only once/],
    ['the placeholder followed by text', 'users/${sub}-x/', /followed by "\/"/],
    ['the placeholder at the end', 'users/${sub}', /followed by "\/"/],
    ['a leading "/"', '/users/${sub}/', /start with "\/"/],
    ['an empty segment', 'users//${sub}/', /empty path segment/],
    ['a "." segment', './${sub}/', /"\." or "\.\."/],
    ['a ".." segment', 'users/../${sub}/', /"\." or "\.\."/],
    ['a ".." segment after the placeholder', 'users/${sub}/../', /"\." or "\.\."/],
    ['another placeholder', 'users/${email}/', /only placeholder may be \$\{sub\}/],
    ['a second, different placeholder', 'users/${sub}/${email}/', /only placeholder/],
    ['an unterminated placeholder', 'users/${sub/', /only placeholder/],
    ['a "*"', 'users*/${sub}/', /literal text may hold only/],
    ['a "?"', 'users/?/${sub}/', /literal text may hold only/],
    ['a space', 'my users/${sub}/', /literal text may hold only/],
    ['a "$" without "{"', 'users$/${sub}/', /literal text may hold only/],
    ['a backslash', 'users\\/${sub}/', /literal text may hold only/],
    ['a quote', 'users"/${sub}/', /literal text may hold only/],
    ['a control character', 'users\n/${sub}/', /literal text may hold only/],
    ['non-ASCII text', 'usérs/${sub}/', /literal text may hold only/],
    ['only "/"', '/', /start with "\/"/],
    ['nothing', '', /end with "\/"/],
  ];

  it.each(refused)('refuses a template with %s, saying why', (_label, template, reason) => {
    // Act
    const parsed = parsePrefixTemplate(template, 'sub');
    // Assess
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(reason);
  });
});

describe('defaultScopes', () => {
  it('grants the scope "user" read and write under users/${sub}/', () => {
    expect(defaultScopes('sub')).toEqual({ user: { prefix: 'users/${sub}/', actions: ['read', 'write'] } });
  });

  it('uses the configured identity claim as the placeholder', () => {
    const scopes = defaultScopes('email');
    expect(scopes['user']?.prefix).toBe('users/${email}/');
    expect(parsePrefixTemplate(scopes['user']!.prefix, 'email')).toEqual({ head: 'users/', tail: '/' });
  });
});

describe('selectScope', () => {
  const scopes: ScopeConfiguration = {
    user: { prefix: 'users/${sub}/', actions: ['read', 'write'] },
    public: { prefix: 'public/', actions: ['read'] },
  };

  it('returns the scope the request named', () => {
    expect(selectScope(scopes, 'public', 'user')).toEqual({ name: 'public', definition: scopes['public'] });
  });

  it('returns the default scope when the request named none', () => {
    expect(selectScope(scopes, undefined, 'user')).toEqual({ name: 'user', definition: scopes['user'] });
  });

  it('refuses with 400 MissingScope, listing the configured scopes, when none was named and there is no default', () => {
    // Act
    const error = refusal(() => selectScope(scopes, undefined, undefined));
    // Assess
    expect(error.status).toBe(400);
    expect(error.code).toBe('MissingScope');
    expect(error.message).toContain('user');
    expect(error.message).toContain('public');
  });

  it('refuses an unknown scope with 403 UnknownScope rather than falling back to the default', () => {
    const error = refusal(() => selectScope(scopes, 'admin', 'user'));
    expect(error.status).toBe(403);
    expect(error.code).toBe('UnknownScope');
    expect(error.message).toContain('admin');
  });

  it('refuses a default scope that is not configured with 403 UnknownScope', () => {
    const error = refusal(() => selectScope(scopes, undefined, 'gone'));
    expect(error.code).toBe('UnknownScope');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'])(
    'does not treat the prototype key %s as a scope',
    (name) => {
      const error = refusal(() => selectScope(scopes, name, 'user'));
      expect(error.status).toBe(403);
      expect(error.code).toBe('UnknownScope');
    },
  );

  it('does not treat prototype keys as scopes in a configuration parsed from JSON either', () => {
    const parsed = JSON.parse('{"user":{"prefix":"users/${sub}/","actions":["read"]}}') as ScopeConfiguration;
    for (const name of ['__proto__', 'constructor', 'toString']) {
      expect(refusal(() => selectScope(parsed, name, undefined)).code).toBe('UnknownScope');
    }
  });

  it('never echoes an unknown scope name that holds hostile characters', () => {
    const hostile = ['<script>canary</script>', 'canary"}', 'canary\nInjected: yes', 'CANARY', 'canary scope', 'canary/../admin', 'c'.repeat(40) + 'canary', 'canáry'];
    for (const name of hostile) {
      // Act
      const error = refusal(() => selectScope(scopes, name, 'user'));
      // Assess
      expect(error.code).toBe('UnknownScope');
      expect(error.message).not.toMatch(/canary|canáry|<script>|Injected/i);
    }
  });
});
