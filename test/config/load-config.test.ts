import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Environment, SETTING_NAMES, type TvmConfig, loadConfig } from '../../shared/config/load-config';
import { TvmError } from '../../shared/errors';
import { generateValidatorSource } from '../../scripts/validator-source';
import { type TestKeyPair, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, testKeys, testEnvironment } from '../helpers/jwt';
import { oftenEqual, oftenInstanceOf } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** The refusal loadConfig throws for `environment`; fails the test when it loads. */
function refusal(environment: Environment): TvmError {
  let config: TvmConfig | undefined;
  try {
    config = loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(TvmError);
    const refused = error as TvmError;
    expect(refused.status).toBe(500);
    expect(refused.code).toBe('InvalidConfiguration');
    expect(refused.message).toMatch(/^The function is misconfigured: .+\.$/);
    return refused;
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(config)}`);
}

const withKey = (name: 'TVM_JWT_PUBLIC_KEY' | 'TVM_JWKS_URL', value: string, extra: Record<string, string | undefined> = {}): Environment =>
  testEnvironment({ TVM_JWT_SECRET: undefined, [name]: value, ...extra });

const scopes = (value: unknown): string => JSON.stringify(value);

let rsa: TestKeyPair;
let ec: TestKeyPair;
let ed: TestKeyPair;

beforeAll(async () => {
  [rsa, ec, ed] = await Promise.all([testKeys('RS256'), testKeys('ES256'), testKeys('EdDSA')]);
});

describe('loadConfig: a valid environment', () => {
  it('loads a minimal environment with the documented defaults', () => {
    // Act
    const config = loadConfig(testEnvironment());

    // Assess
    expect(config).toMatchObject({
      roleArn: 'acs:ram::1234567890123456:role/oss-tvm-app',
      bucket: 'photos',
      region: 'cn-hangzhou',
      stsEndpoint: 'https://sts.cn-hangzhou.aliyuncs.com',
      durationSeconds: 3600,
      defaultScope: 'user',
      scopes: { user: { prefix: 'users/${sub}/', actions: ['read', 'write'] } },
    });
    expect(config.jwt).toMatchObject({
      issuer: TEST_ISSUER,
      audience: [TEST_AUDIENCE],
      algorithms: ['HS256'],
      identityClaim: 'sub',
      clockToleranceSeconds: 30,
    });
    const source = config.jwt.keySource;
    expect(source.kind).toBe('secret');
    expect(source.kind === 'secret' && Buffer.from(source.key).toString()).toBe(TEST_SECRET);
  });

  it.each([
    ['an RSA key', () => rsa.publicPem, ['RS256']],
    ['a P-256 key', () => ec.publicPem, ['ES256']],
    ['an Ed25519 key', () => ed.publicPem, ['EdDSA']],
    ['a P-384 key', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), ['ES384']],
    ['an RSA JWK', () => JSON.stringify(rsa.publicJwk), ['RS256']],
    ['a P-256 JWK', () => JSON.stringify(ec.publicJwk), ['ES256']],
  ] as const)('defaults the algorithms for %s as TVM_JWT_PUBLIC_KEY', (_name, key, algorithms) => {
    const config = loadConfig(withKey('TVM_JWT_PUBLIC_KEY', key()));

    expect(config.jwt.keySource.kind).toBe('public-key');
    expect(config.jwt.algorithms).toEqual(algorithms);
  });

  it('defaults the algorithms to RS256 for a JWKS URL', () => {
    const config = loadConfig(withKey('TVM_JWKS_URL', 'https://idp.example.com/.well-known/jwks.json'));

    expect(config.jwt.keySource).toEqual({ kind: 'jwks', url: new URL('https://idp.example.com/.well-known/jwks.json') });
    expect(config.jwt.algorithms).toEqual(['RS256']);
  });

  it('accepts a loopback http:// JWKS URL for the sandbox', () => {
    const config = loadConfig(withKey('TVM_JWKS_URL', 'http://127.0.0.1:8080/jwks.json'));

    expect(config.jwt.keySource.kind).toBe('jwks');
  });

  it('reads every optional setting', () => {
    // Prepare
    const environment = testEnvironment({
      TVM_STS_ENDPOINT: 'https://sts-vpc.cn-hangzhou.aliyuncs.com/',
      TVM_JWT_AUDIENCE: 'app-a,app-b',
      TVM_JWT_ALGORITHMS: 'HS512,HS256',
      TVM_IDENTITY_CLAIM: 'uid',
      TVM_SCOPES: scopes({ photos: { prefix: 'photos/${uid}/', actions: ['read', 'list'] }, shared: { prefix: 'shared/', actions: ['read'] } }),
      TVM_DEFAULT_SCOPE: 'shared',
      TVM_DURATION_SECONDS: '900',
    });

    // Act
    const config = loadConfig(environment);

    // Assess
    expect(config.stsEndpoint).toBe('https://sts-vpc.cn-hangzhou.aliyuncs.com');
    expect(config.jwt.audience).toEqual(['app-a', 'app-b']);
    expect(config.jwt.algorithms).toEqual(['HS512', 'HS256']);
    expect(config.jwt.identityClaim).toBe('uid');
    expect(Object.keys(config.scopes)).toEqual(['photos', 'shared']);
    expect(config.defaultScope).toBe('shared');
    expect(config.durationSeconds).toBe(900);
  });

  it('uses the identity claim in the default scope', () => {
    expect(loadConfig(testEnvironment({ TVM_IDENTITY_CLAIM: 'uid' })).scopes).toEqual({ user: { prefix: 'users/${uid}/', actions: ['read', 'write'] } });
  });

  it('has no default scope when several scopes are configured and none is chosen', () => {
    const config = loadConfig(testEnvironment({ TVM_SCOPES: scopes({ a: { prefix: 'a/', actions: ['read'] }, b: { prefix: 'b/', actions: ['read'] } }) }));

    expect(config.defaultScope).toBeUndefined();
    expect('defaultScope' in config).toBe(false);
  });

  it.each(['900', '43200'])('accepts TVM_DURATION_SECONDS=%s at the edge of the range', (seconds) => {
    expect(loadConfig(testEnvironment({ TVM_DURATION_SECONDS: seconds })).durationSeconds).toBe(Number(seconds));
  });

  it.each(['http://127.0.0.1:9999', 'http://localhost:9999/', 'https://sts.cn-shanghai.aliyuncs.com'])('accepts the STS endpoint %s', (endpoint) => {
    expect(loadConfig(testEnvironment({ TVM_STS_ENDPOINT: endpoint })).stsEndpoint).toBe(endpoint.replace(/\/$/, ''));
  });

  it('treats empty and blank optional variables as unset', () => {
    // Prepare
    const environment = testEnvironment({
      TVM_STS_ENDPOINT: '',
      TVM_JWKS_URL: '',
      TVM_JWT_PUBLIC_KEY: '   ',
      TVM_JWT_ALGORITHMS: '',
      TVM_IDENTITY_CLAIM: '',
      TVM_SCOPES: '',
      TVM_DEFAULT_SCOPE: '',
      TVM_DURATION_SECONDS: ' ',
    });

    // Act
    const config = loadConfig(environment);

    // Assess
    expect(config).toMatchObject({ stsEndpoint: 'https://sts.cn-hangzhou.aliyuncs.com', durationSeconds: 3600, defaultScope: 'user' });
    expect(config.jwt).toMatchObject({ algorithms: ['HS256'], identityClaim: 'sub', keySource: { kind: 'secret' } });
  });

  it('accepts a secret of 32 bytes made of fewer, multi-byte characters', () => {
    const secret = '€'.repeat(11); // 33 UTF-8 bytes, 11 characters

    expect(loadConfig(testEnvironment({ TVM_JWT_SECRET: secret })).jwt.keySource.kind).toBe('secret');
  });

  it('ignores variables that are not TVM_* settings', () => {
    expect(() => loadConfig({ ...testEnvironment(), PATH: '/bin', TVM_UNKNOWN: 'x' })).not.toThrow();
  });
});

describe('loadConfig: refusals name the variable and the problem', () => {
  it.each(['TVM_ROLE_ARN', 'TVM_BUCKET', 'TVM_REGION', 'TVM_JWT_ISSUER', 'TVM_JWT_AUDIENCE'])('refuses an environment without %s', (name) => {
    const error = refusal(testEnvironment({ [name]: undefined }));

    expect(error.message).toContain(`${name} is not set`);
  });

  it('refuses an environment with a required variable set to an empty string', () => {
    expect(refusal(testEnvironment({ TVM_BUCKET: '' })).message).toContain('TVM_BUCKET is not set');
  });

  it('names every problem at once', () => {
    // Prepare
    const environment = testEnvironment({
      TVM_ROLE_ARN: undefined,
      TVM_BUCKET: 'My_Bucket',
      TVM_DURATION_SECONDS: '60',
      TVM_JWKS_URL: 'https://idp.example.com/jwks.json',
      TVM_SCOPES: '{nope',
      TVM_IDENTITY_CLAIM: 'bad claim',
    });

    // Act
    const { message } = refusal(environment);

    // Assess
    expect(message).toContain('TVM_ROLE_ARN is not set');
    expect(message).toContain('TVM_BUCKET is invalid');
    expect(message).toContain('TVM_DURATION_SECONDS is invalid');
    expect(message).toContain('exactly one of TVM_JWKS_URL, TVM_JWT_PUBLIC_KEY, TVM_JWT_SECRET must be set, found TVM_JWKS_URL and TVM_JWT_SECRET');
    expect(message).toContain('TVM_IDENTITY_CLAIM is invalid');
  });

  it('checks the scopes and the key even when other variables are refused', () => {
    const { message } = refusal(
      testEnvironment({
        TVM_REGION: 'Hangzhou',
        TVM_SCOPES: scopes({ user: { prefix: 'users/${sub}/', actions: ['admin'] } }),
        TVM_JWT_SECRET: undefined,
        TVM_JWT_PUBLIC_KEY: 'not a key',
      }),
    );

    expect(message).toContain('TVM_REGION is invalid');
    expect(message).toContain('TVM_SCOPES is invalid');
    expect(message).toContain('TVM_JWT_PUBLIC_KEY is invalid');
  });

  it.each([
    ['TVM_ROLE_ARN', 'arn:aws:iam::123:role/x', /TVM_ROLE_ARN is invalid: expected the ARN of the RAM role/],
    ['TVM_ROLE_ARN', 'acs:ram::1234567890123456:user/alice', /TVM_ROLE_ARN is invalid/],
    ['TVM_BUCKET', 'My_Bucket', /TVM_BUCKET is invalid: expected an OSS bucket name/],
    ['TVM_BUCKET', 'ab', /TVM_BUCKET is invalid/],
    ['TVM_BUCKET', '-photos', /TVM_BUCKET is invalid/],
    ['TVM_REGION', 'Hangzhou', /TVM_REGION is invalid: expected a region ID such as cn-hangzhou/],
    ['TVM_REGION', 'cn-hangzhou/../x', /TVM_REGION is invalid/],
    ['TVM_STS_ENDPOINT', 'http://evil.example', /TVM_STS_ENDPOINT is invalid: expected an https:\/\/ STS endpoint URL/],
    ['TVM_STS_ENDPOINT', 'http://127.0.0.1.evil.example:9999', /TVM_STS_ENDPOINT is invalid/],
    ['TVM_STS_ENDPOINT', 'https://sts.example.com/path?x=1', /TVM_STS_ENDPOINT is invalid/],
    ['TVM_STS_ENDPOINT', 'ftp://sts.cn-hangzhou.aliyuncs.com', /TVM_STS_ENDPOINT is invalid/],
    ['TVM_JWT_AUDIENCE', 'a,,b', /TVM_JWT_AUDIENCE is invalid/],
    ['TVM_JWT_ISSUER', 'x'.repeat(513), /TVM_JWT_ISSUER is invalid/],
    ['TVM_DURATION_SECONDS', '899', /TVM_DURATION_SECONDS is invalid: expected a whole number of seconds from 900 to 43200/],
    ['TVM_DURATION_SECONDS', '43201', /TVM_DURATION_SECONDS is invalid: expected a whole number of seconds from 900 to 43200/],
    ['TVM_DURATION_SECONDS', 'abc', /TVM_DURATION_SECONDS is invalid: expected a whole number of seconds from 900 to 43200/],
    ['TVM_DURATION_SECONDS', '3600.5', /TVM_DURATION_SECONDS is invalid/],
    ['TVM_DURATION_SECONDS', '1e4', /TVM_DURATION_SECONDS is invalid/],
    ['TVM_IDENTITY_CLAIM', 'claim with spaces', /TVM_IDENTITY_CLAIM is invalid: expected the name of the verified claim/],
    ['TVM_IDENTITY_CLAIM', '${sub}', /TVM_IDENTITY_CLAIM is invalid/],
    ['TVM_JWT_ALGORITHMS', 'none', /TVM_JWT_ALGORITHMS is invalid: expected a comma-separated list of JWS algorithms/],
    ['TVM_JWT_ALGORITHMS', 'HS256,none', /TVM_JWT_ALGORITHMS is invalid/],
    ['TVM_JWT_ALGORITHMS', 'hs256', /TVM_JWT_ALGORITHMS is invalid/],
    ['TVM_JWT_ALGORITHMS', 'RS256', /TVM_JWT_ALGORITHMS is invalid: RS256 cannot be used with this key; choose from HS256, HS384, HS512/],
    ['TVM_DEFAULT_SCOPE', 'admin', /TVM_DEFAULT_SCOPE is invalid: "admin" is not one of the configured scopes \(user\)/],
    ['TVM_DEFAULT_SCOPE', 'Not A Scope', /TVM_DEFAULT_SCOPE is invalid: expected the name of a configured scope/],
  ])('refuses %s=%j', (name, value, message) => {
    expect(refusal(testEnvironment({ [name]: value })).message).toMatch(message);
  });

  describe('the key source', () => {
    it('refuses two key sources at once', () => {
      const { message } = refusal(testEnvironment({ TVM_JWT_PUBLIC_KEY: rsa.publicPem }));

      expect(message).toContain('exactly one of TVM_JWKS_URL, TVM_JWT_PUBLIC_KEY, TVM_JWT_SECRET must be set, found TVM_JWT_PUBLIC_KEY and TVM_JWT_SECRET');
    });

    it('refuses all three key sources at once', () => {
      const { message } = refusal(testEnvironment({ TVM_JWT_PUBLIC_KEY: rsa.publicPem, TVM_JWKS_URL: 'https://idp.example.com/jwks' }));

      expect(message).toContain('found TVM_JWKS_URL and TVM_JWT_PUBLIC_KEY and TVM_JWT_SECRET');
    });

    it('refuses no key source', () => {
      expect(refusal(testEnvironment({ TVM_JWT_SECRET: undefined })).message).toContain(
        'exactly one of TVM_JWKS_URL, TVM_JWT_PUBLIC_KEY, TVM_JWT_SECRET must be set, found none',
      );
    });

    it('refuses a 31-byte secret', () => {
      expect(refusal(testEnvironment({ TVM_JWT_SECRET: 's'.repeat(31) })).message).toContain(
        'TVM_JWT_SECRET is invalid: expected an HS256 shared secret of at least 32 bytes',
      );
    });

    it.each([
      ['http://idp.example.com/jwks.json', /TVM_JWKS_URL is invalid: expected the https:\/\/ URL/],
      ['https://[::zz]/jwks', /TVM_JWKS_URL is invalid: .*it is not a URL/],
      ['https://idp.example.com/has space', /TVM_JWKS_URL is invalid/],
      ['http://127.0.0.1:8080', /TVM_JWKS_URL is invalid/],
    ])('refuses the JWKS URL %j', (url, message) => {
      expect(refusal(withKey('TVM_JWKS_URL', url)).message).toMatch(message);
    });

    it.each([
      ['a private key PEM (PKCS#8)', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /it is a private key; give only the public key/],
      ['a private key PEM (PKCS#1)', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), /it is a private key/],
      ['a private JWK', () => JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })), /it is a private key/],
      ['an oct JWK', () => JSON.stringify({ kty: 'oct', k: Buffer.from(TEST_SECRET).toString('base64url') }), /it is a symmetric key; set TVM_JWT_SECRET instead/],
      ['garbage', () => 'not a key', /expected a public key as PEM \(SPKI\) or as a JWK JSON object/],
      ['a JWK that is not valid JSON', () => '{"kty": "RSA", ', /expected a public key as PEM/],
      ['a truncated PEM', () => rsa.publicPem.slice(0, 100), /expected a public key as PEM/],
      ['a 1024-bit RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), /1024-bit RSA key; JWS requires at least 2048 bits/],
      ['a secp256k1 key', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), /a ec \(secp256k1\) key cannot verify tokens/],
      ['an X25519 key', () => generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(), /a x25519 key cannot verify tokens/],
    ])('refuses %s as TVM_JWT_PUBLIC_KEY', (_name, key, message) => {
      const { message: refused } = refusal(withKey('TVM_JWT_PUBLIC_KEY', key()));

      expect(refused).toMatch(/TVM_JWT_PUBLIC_KEY is invalid: /);
      expect(refused).toMatch(message);
    });

    it.each([
      ['HS256 with an RSA key', () => rsa.publicPem, 'HS256', /HS256 cannot be used with this key; choose from RS256, RS384, RS512, PS256, PS384, PS512/],
      ['RS256 with a P-256 key', () => ec.publicPem, 'RS256', /RS256 cannot be used with this key; choose from ES256$|choose from ES256[;.]/],
      ['ES384 with a P-256 key', () => ec.publicPem, 'ES256,ES384', /ES384 cannot be used with this key/],
      ['EdDSA with an RSA key', () => rsa.publicPem, 'EdDSA', /EdDSA cannot be used/],
    ])('refuses TVM_JWT_ALGORITHMS %s', (_name, key, algorithms, message) => {
      const { message: refused } = refusal(withKey('TVM_JWT_PUBLIC_KEY', key(), { TVM_JWT_ALGORITHMS: algorithms }));

      expect(refused).toMatch(/TVM_JWT_ALGORITHMS is invalid: /);
      expect(refused).toMatch(message);
    });

    it('refuses HS256 for a JWKS URL (JWKS keys are public keys)', () => {
      expect(refusal(withKey('TVM_JWKS_URL', 'https://idp.example.com/jwks', { TVM_JWT_ALGORITHMS: 'HS256' })).message).toContain(
        'TVM_JWT_ALGORITHMS is invalid: HS256 cannot be used with this key',
      );
    });
  });

  describe('TVM_SCOPES', () => {
    it.each([
      ['not JSON', '{nope', /TVM_SCOPES is invalid: it is not valid JSON/],
      ['a JSON array', '[]', /TVM_SCOPES is invalid: scope names are/],
      ['a JSON string', '"user"', /TVM_SCOPES is invalid/],
      ['an empty object', '{}', /TVM_SCOPES is invalid/],
      ['a scope that is a string', scopes({ user: 'users/${sub}/' }), /TVM_SCOPES is invalid at \/user: /],
      ['a scope without actions', scopes({ user: { prefix: 'users/${sub}/' } }), /TVM_SCOPES is invalid at \/user/],
      ['an unknown action', scopes({ user: { prefix: 'users/${sub}/', actions: ['read', 'admin'] } }), /TVM_SCOPES is invalid at \/user\/actions\/1/],
      ['no action', scopes({ user: { prefix: 'users/${sub}/', actions: [] } }), /TVM_SCOPES is invalid at \/user\/actions/],
      ['a repeated action', scopes({ user: { prefix: 'users/${sub}/', actions: ['read', 'read'] } }), /TVM_SCOPES is invalid at \/user\/actions/],
      ['an extra property', scopes({ user: { prefix: 'users/${sub}/', actions: ['read'], bucket: 'other' } }), /TVM_SCOPES is invalid at \/user: .*and nothing else/],
      ['a bad scope name', scopes({ 'Bad Name': { prefix: 'x/', actions: ['read'] } }), /TVM_SCOPES is invalid/],
      ['a prefix without the trailing slash', scopes({ user: { prefix: 'users/${sub}', actions: ['read'] } }), /TVM_SCOPES is invalid: scope "user": prefix "users\/\$\{sub\}" is invalid: /],
      ['a placeholder not followed by /', scopes({ user: { prefix: 'users/${sub}x/', actions: ['read'] } }), /scope "user": .*must be followed by "\/"/],
      ['another placeholder', scopes({ user: { prefix: 'users/${email}/', actions: ['read'] } }), /scope "user": .*its only placeholder may be \$\{sub\}/],
      ['a placeholder twice', scopes({ user: { prefix: '${sub}/${sub}/', actions: ['read'] } }), /scope "user": .*only once/],
      ['a .. segment', scopes({ user: { prefix: 'users/../${sub}/', actions: ['read'] } }), /scope "user": .*"\." or "\.\." segments/],
      ['a wildcard', scopes({ user: { prefix: 'users/*/', actions: ['read'] } }), /scope "user": .*literal text/],
      ['a leading slash', scopes({ user: { prefix: '/users/${sub}/', actions: ['read'] } }), /scope "user": .*must not start with "\/"/],
    ])('refuses %s', (_name, value, message) => {
      expect(refusal(testEnvironment({ TVM_SCOPES: value })).message).toMatch(message);
    });

    it('refuses a scope whose worst-case policy exceeds 1024 characters', () => {
      // Prepare: the longest bucket name and prefix, every action, and a 64-character identity.
      const environment = testEnvironment({
        TVM_BUCKET: 'b'.repeat(63),
        TVM_SCOPES: scopes({ big: { prefix: `${'a'.repeat(247)}/\${sub}/`, actions: ['read', 'write', 'delete', 'list'] } }),
      });

      // Act
      const { message } = refusal(environment);

      // Assess
      expect(message).toMatch(/TVM_SCOPES is invalid: scope "big": its policy can reach \d{4} characters with a 64-character identity; STS accepts at most 1024/);
    });

    it('refuses a TVM_DEFAULT_SCOPE that names none of the configured scopes', () => {
      const { message } = refusal(testEnvironment({ TVM_SCOPES: scopes({ photos: { prefix: 'p/${sub}/', actions: ['read'] } }), TVM_DEFAULT_SCOPE: 'user' }));

      expect(message).toContain('TVM_DEFAULT_SCOPE is invalid: "user" is not one of the configured scopes (photos)');
    });

    it.each([
      ['a repeated scope', '{"user":{"prefix":"users/${sub}/","actions":["read","write"]},"user":{"prefix":"public/","actions":["read"]}}', 'the key "user" appears twice in the same object (at the top level)'],
      ['a scope repeated under an escaped name', '{"user":{"prefix":"a/${sub}/","actions":["read"]},"\\u0075ser":{"prefix":"b/","actions":["read"]}}', 'the key "user" appears twice in the same object (at the top level)'],
      ['a repeated prefix', '{"user":{"prefix":"users/${sub}/","actions":["read"],"prefix":"${sub}/"}}', 'the key "prefix" appears twice in the same object (at /user)'],
      ['a repeated key inside an unknown property', '{"user":{"prefix":"u/${sub}/","actions":["read"],"x":[{"a":1,"a":2}]}}', 'the key "a" appears twice in the same object (at /user/x/0)'],
    ])('refuses %s, naming the key and where, though JSON.parse would keep the last', (_name, value, problem) => {
      expect(() => JSON.parse(value)).not.toThrow();
      expect(refusal(testEnvironment({ TVM_SCOPES: value })).message).toBe(`The function is misconfigured: TVM_SCOPES is invalid: ${problem}.`);
    });

    it.each([
      [{ user: { prefix: 'users/${sub}/', actions: ['read', 'write'] }, team: { prefix: 'users/team/', actions: ['read'] } }, /scopes "user" and "team" overlap: "user" gives the identity "team" users\/team\//],
      [{ user: { prefix: '${sub}/', actions: ['read', 'write'] }, public: { prefix: 'public/', actions: ['read'] } }, /scopes "user" and "public" overlap: "user" gives the identity "public" public\//],
      [{ a: { prefix: 'shared/', actions: ['read'] }, b: { prefix: 'shared/docs/', actions: ['write'] } }, /scopes "a" and "b" overlap: "a" gives every identity shared\/ and "b" gives every identity shared\/docs\/, and shared\/ contains shared\/docs\//],
    ])('refuses scopes whose prefixes overlap across users, naming them: %j', (configured, message) => {
      expect(refusal(testEnvironment({ TVM_SCOPES: scopes(configured) })).message).toMatch(message);
    });

    it('loads overlapping scopes declared with "overlaps", and scopes that meet only for the same user', () => {
      const configured = {
        user: { prefix: 'users/${sub}/', actions: ['read', 'write'], overlaps: ['team'] },
        team: { prefix: 'users/team/', actions: ['read'] },
        // Meets "user" only for the same user; meets "team" for the identity "team", declared.
        own: { prefix: 'users/${sub}/public/', actions: ['read'], overlaps: ['team'] },
      };
      expect(loadConfig(testEnvironment({ TVM_SCOPES: scopes(configured), TVM_DEFAULT_SCOPE: 'user' })).scopes).toEqual(configured);
    });

    it.each([
      [{ user: { prefix: 'users/${sub}/', actions: ['read'], overlaps: ['team'] } }, /scope "user": "overlaps" names "team", which is not another configured scope/],
      [{ user: { prefix: 'users/${sub}/', actions: ['read'], overlaps: ['shared'] }, shared: { prefix: 'shared/', actions: ['read'] } }, /scopes "user" and "shared" are declared to overlap, but their prefixes cannot/],
      [{ user: { prefix: 'users/${sub}/', actions: ['read'], overlaps: 'team' } }, /TVM_SCOPES is invalid at \/user\/overlaps/],
      [{ user: { prefix: 'users/${sub}/', actions: ['read'], overlaps: ['Team'] } }, /TVM_SCOPES is invalid at \/user\/overlaps\/0/],
    ])('refuses an "overlaps" declaration that is wrong: %j', (configured, message) => {
      expect(refusal(testEnvironment({ TVM_SCOPES: scopes(configured) })).message).toMatch(message);
    });

    it('checks the placeholder against the configured identity claim', () => {
      expect(refusal(testEnvironment({ TVM_IDENTITY_CLAIM: 'uid', TVM_SCOPES: scopes({ user: { prefix: 'users/${sub}/', actions: ['read'] } }) })).message).toMatch(
        /its only placeholder may be \$\{uid\}/,
      );
    });
  });

  describe('secrets stay out of the message', () => {
    const secret = 'TEST-ONLY-secret-value-that-must-never-be-echoed';

    it.each([
      ['a valid secret while another variable is bad', { TVM_JWT_SECRET: secret, TVM_BUCKET: 'My_Bucket' }],
      ['a valid secret alongside a second key source', { TVM_JWT_SECRET: secret, TVM_JWKS_URL: 'https://idp.example.com/jwks' }],
      ['a valid secret with unsuitable algorithms', { TVM_JWT_SECRET: secret, TVM_JWT_ALGORITHMS: 'RS256' }],
      ['a secret that is too short', { TVM_JWT_SECRET: 'TEST-short-secret' }],
      ['a secret that is too long', { TVM_JWT_SECRET: `${secret}${'x'.repeat(5000)}` }],
      ['a secret with the region missing', { TVM_JWT_SECRET: secret, TVM_REGION: undefined }],
    ])('does not echo TVM_JWT_SECRET: %s', (_name, overrides) => {
      const environment = testEnvironment(overrides);
      const value = environment['TVM_JWT_SECRET'] as string;

      const error = refusal(environment);

      expect(error.message).not.toContain(value);
      expect(error.message).not.toContain(value.slice(0, 12));
      expect(JSON.stringify(error)).not.toContain(value.slice(0, 12));
    });

    it('does not echo a private key given as TVM_JWT_PUBLIC_KEY', () => {
      const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const body = pem.split('\n')[1] as string;

      expect(refusal(withKey('TVM_JWT_PUBLIC_KEY', pem)).message).not.toContain(body);
    });
  });
});

describe('validators.generated.js', () => {
  const generated = readFileSync(fileURLToPath(new URL('../../shared/config/validators.generated.js', import.meta.url)), 'utf8');

  it('is exactly what scripts/validator-source.ts generates from schemas.ts now (run `npm run generate` if not)', () => {
    expect(generated === generateValidatorSource()).toBe(true);
  });

  it('is standalone code that compiles no schema and loads no module at run time', () => {
    expect(generated).not.toContain('require(');
    expect(generated).not.toMatch(/\bimport\b/);
    expect(generated).not.toContain('new Function');
    expect(generated).toContain('export const validateEnvironment');
    expect(generated).toContain('export const validateScopes');
  });
});

describe('loadConfig: any environment (property)', () => {
  const plausible: Record<string, string[]> = {
    TVM_ROLE_ARN: ['acs:ram::1234567890123456:role/oss-tvm-app'],
    TVM_BUCKET: ['photos', 'b'.repeat(63)],
    TVM_REGION: ['cn-hangzhou'],
    TVM_STS_ENDPOINT: ['http://127.0.0.1:9999', 'https://sts.cn-hangzhou.aliyuncs.com/'],
    TVM_JWT_ISSUER: [TEST_ISSUER],
    TVM_JWT_AUDIENCE: [TEST_AUDIENCE, 'a,b'],
    TVM_JWKS_URL: ['https://idp.example.com/jwks', 'https://%zz/', 'http://127.0.0.1:1/x'],
    TVM_JWT_PUBLIC_KEY: [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })),
      '{"kty":"oct","k":"AA"}', '{"kty":"RSA"}', '{}', '{"d":1}', 'null', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'],
    TVM_JWT_SECRET: [TEST_SECRET, 'short'],
    TVM_JWT_ALGORITHMS: ['HS256', 'RS256,ES256', 'EdDSA', 'none'],
    TVM_IDENTITY_CLAIM: ['sub', 'uid', 'constructor', '__proto__'],
    TVM_SCOPES: ['{}', '[]', 'null', '{"user":{"prefix":"users/${sub}/","actions":["read"]}}', '{"__proto__":{"prefix":"x/","actions":["read"]}}', '{"constructor":{"prefix":"x/","actions":["list"]}}'],
    TVM_DEFAULT_SCOPE: ['user', 'constructor', 'toString'],
    TVM_DURATION_SECONDS: ['900', '99999', '0900'],
  };
  // Built once for every setting: a string arbitrary costs milliseconds to build (binary: tens of them), and holds no state.
  const text = fc.string({ maxLength: 80 });
  const binary = fc.string({ unit: BINARY, maxLength: 80 });
  const value = (name: string): fc.Arbitrary<string> => fc.oneof(text, binary, fc.constantFrom('', ' ', ...(plausible[name] ?? [''])));
  const environments = fc
    .tuple(...SETTING_NAMES.map((name) => fc.option(value(name), { nil: undefined, freq: 2 })))
    .map((values) => Object.fromEntries(SETTING_NAMES.map((name, index) => [name, values[index]]).filter(([, v]) => v !== undefined)) as Environment);
  // A valid environment with one to three variables changed (and sometimes the secret removed), so
  // that the checks after the schema are reached too.
  const change = fc.constantFrom(...SETTING_NAMES).chain((name) => fc.tuple(fc.constant(name), fc.option(value(name), { nil: undefined })));
  const mostlyValid = fc
    .tuple(fc.array(change, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([changes, dropSecret]) => testEnvironment({ ...(dropSecret ? { TVM_JWT_SECRET: undefined } : {}), ...Object.fromEntries(changes) }) as Environment);

  it('either returns a configuration or throws TvmError 500 InvalidConfiguration, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(environments, mostlyValid), (environment) => {
        try {
          const config = loadConfig(environment);
          expect(config.jwt.algorithms.length).toBeGreaterThan(0);
          expect(config.durationSeconds).toBeGreaterThanOrEqual(900);
        } catch (error) {
          oftenInstanceOf(error, TvmError);
          oftenEqual([(error as TvmError).status, (error as TvmError).code], [500, 'InvalidConfiguration']);
          const secret = environment['TVM_JWT_SECRET']?.trim();
          // Short random values can occur in any text by chance; the real secrets here are 16+ characters.
          if (secret !== undefined && secret.length >= 16) expect((error as TvmError).message).not.toContain(secret);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('loadConfig: TVM_STS_CALLS_PER_HOUR', () => {
  it('defaults to 60 AssumeRole calls per identity and scope per hour', () => {
    expect(loadConfig(testEnvironment()).stsCallsPerHour).toBe(60);
  });

  it.each([['1', 1], ['3600', 3600], ['  120 ', 120]])('accepts %j', (value, calls) => {
    expect(loadConfig(testEnvironment({ TVM_STS_CALLS_PER_HOUR: value })).stsCallsPerHour).toBe(calls);
  });

  it.each(['0', '3601', '10000', '-1', '1.5', 'many', '1e3'])('refuses %j', (value) => {
    expect(refusal(testEnvironment({ TVM_STS_CALLS_PER_HOUR: value })).message).toMatch(/TVM_STS_CALLS_PER_HOUR is invalid: expected a whole number of AssumeRole calls from 1 to 3600/);
  });
});

describe('loadConfig: sign-request settings', () => {
  it('defaults to scoped credentials, 300 s of clock skew, presigned URLs of up to half the default 3600 s duration, PostObject policies of 600 s and no extra headers', () => {
    expect(loadConfig(testEnvironment()).signing).toEqual({ credentials: 'scoped', maxSkewSeconds: 300, maxUrlTtlSeconds: 1800, postPolicyTtlSeconds: 600, extraHeaders: [] });
  });

  it.each([
    ['900', 450],
    ['3600', 1800],
    ['7200', 3600],
    ['43200', 3600],
    ['1801', 900],
  ])('defaults the longest presigned URL to the smaller of 3600 s and half of TVM_DURATION_SECONDS=%s', (duration, ttl) => {
    expect(loadConfig(testEnvironment({ TVM_DURATION_SECONDS: duration })).signing.maxUrlTtlSeconds).toBe(ttl);
  });

  it.each([
    ['3600', '1800'],
    ['900', '450'],
    ['43200', '21600'],
  ])('accepts TVM_SIGN_MAX_URL_TTL_SECONDS of exactly half of TVM_DURATION_SECONDS=%s', (duration, ttl) => {
    expect(loadConfig(testEnvironment({ TVM_DURATION_SECONDS: duration, TVM_SIGN_MAX_URL_TTL_SECONDS: ttl })).signing.maxUrlTtlSeconds).toBe(Number(ttl));
  });

  it.each([
    ['3600', '3600', 1800, 7200],
    ['3600', '1801', 1800, 3602],
    ['900', '451', 450, 902],
  ])('refuses, naming both variables, TVM_DURATION_SECONDS=%s with TVM_SIGN_MAX_URL_TTL_SECONDS=%s (more than half)', (duration, ttl, half, twice) => {
    const { message } = refusal(testEnvironment({ TVM_DURATION_SECONDS: duration, TVM_SIGN_MAX_URL_TTL_SECONDS: ttl }));
    expect(message).toContain(`TVM_SIGN_MAX_URL_TTL_SECONDS is invalid: ${ttl} is more than half of TVM_DURATION_SECONDS (${duration})`);
    expect(message).toContain(`set TVM_SIGN_MAX_URL_TTL_SECONDS to at most ${half}, or TVM_DURATION_SECONDS to at least ${twice}`);
  });

  it('does not suggest a duration beyond the longest when the TTL is more than half of it', () => {
    const { message } = refusal(testEnvironment({ TVM_DURATION_SECONDS: '43200', TVM_SIGN_MAX_URL_TTL_SECONDS: '43200' }));
    expect(message).toContain('set TVM_SIGN_MAX_URL_TTL_SECONDS to at most 21600 (a presigned URL can last at most 21600 seconds, half of the longest duration)');
  });

  it('judges TVM_SIGN_MAX_URL_TTL_SECONDS on its own range when TVM_DURATION_SECONDS is itself refused', () => {
    const { message } = refusal(testEnvironment({ TVM_DURATION_SECONDS: '100', TVM_SIGN_MAX_URL_TTL_SECONDS: '3600' }));
    expect(message).toContain('TVM_DURATION_SECONDS is invalid');
    expect(message).not.toContain('TVM_SIGN_MAX_URL_TTL_SECONDS');
  });

  it.each([
    ['900', 450],
    ['1200', 600],
    ['3600', 600],
  ])('defaults PostObject policies to the smaller of 600 s and half of TVM_DURATION_SECONDS=%s', (duration, ttl) => {
    expect(loadConfig(testEnvironment({ TVM_DURATION_SECONDS: duration })).signing.postPolicyTtlSeconds).toBe(ttl);
  });

  it('refuses a TVM_SIGN_POST_POLICY_TTL_SECONDS of more than half of TVM_DURATION_SECONDS, naming both variables', () => {
    const { message } = refusal(testEnvironment({ TVM_DURATION_SECONDS: '3600', TVM_SIGN_POST_POLICY_TTL_SECONDS: '1801' }));
    expect(message).toContain('TVM_SIGN_POST_POLICY_TTL_SECONDS is invalid: 1801 is more than half of TVM_DURATION_SECONDS (3600), so cached credentials could rarely cover a PostObject policy');
    expect(message).toContain('set TVM_SIGN_POST_POLICY_TTL_SECONDS to at most 1800, or TVM_DURATION_SECONDS to at least 3602');
  });

  it('reads every signing setting', () => {
    // Prepare
    const environment = testEnvironment({
      TVM_SIGNING_CREDENTIALS: 'function',
      TVM_SIGN_MAX_SKEW_SECONDS: '60',
      TVM_SIGN_MAX_URL_TTL_SECONDS: '600',
      TVM_SIGN_POST_POLICY_TTL_SECONDS: '120',
      TVM_SIGN_EXTRA_HEADERS: 'x-oss-forbid-overwrite,x-oss-storage-class,x-oss-server-side-encryption',
    });

    // Act
    const { signing } = loadConfig(environment);

    // Assess
    expect(signing).toEqual({
      credentials: 'function',
      maxSkewSeconds: 60,
      maxUrlTtlSeconds: 600,
      postPolicyTtlSeconds: 120,
      extraHeaders: ['x-oss-forbid-overwrite', 'x-oss-storage-class', 'x-oss-server-side-encryption'],
    });
  });

  it('reads TVM_SIGNING_CREDENTIALS=scoped', () => {
    expect(loadConfig(testEnvironment({ TVM_SIGNING_CREDENTIALS: 'scoped' })).signing.credentials).toBe('scoped');
  });

  it.each([
    ['TVM_SIGN_MAX_SKEW_SECONDS', '30', 'maxSkewSeconds', 30],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '900', 'maxSkewSeconds', 900],
    ['TVM_SIGN_MAX_URL_TTL_SECONDS', '60', 'maxUrlTtlSeconds', 60],
    ['TVM_SIGN_POST_POLICY_TTL_SECONDS', '60', 'postPolicyTtlSeconds', 60],
  ] as const)('accepts %s=%s at the edge of the range', (name, value, field, seconds) => {
    expect(loadConfig(testEnvironment({ [name]: value })).signing[field]).toBe(seconds);
  });

  it('treats empty and blank signing variables as unset', () => {
    const environment = testEnvironment({ TVM_SIGNING_CREDENTIALS: '', TVM_SIGN_MAX_SKEW_SECONDS: ' ', TVM_SIGN_MAX_URL_TTL_SECONDS: '', TVM_SIGN_EXTRA_HEADERS: '  ' });

    expect(loadConfig(environment).signing).toEqual({ credentials: 'scoped', maxSkewSeconds: 300, maxUrlTtlSeconds: 1800, postPolicyTtlSeconds: 600, extraHeaders: [] });
  });

  it.each([
    ['TVM_SIGNING_CREDENTIALS', 'other', /TVM_SIGNING_CREDENTIALS is invalid: expected scoped \(.+\) or function \(.+\)/],
    ['TVM_SIGNING_CREDENTIALS', 'Scoped', /TVM_SIGNING_CREDENTIALS is invalid/],
    ['TVM_SIGNING_CREDENTIALS', 'scoped,function', /TVM_SIGNING_CREDENTIALS is invalid/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '29', /TVM_SIGN_MAX_SKEW_SECONDS is invalid: expected a whole number of seconds from 30 to 900/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '901', /TVM_SIGN_MAX_SKEW_SECONDS is invalid: expected a whole number of seconds from 30 to 900/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '0', /TVM_SIGN_MAX_SKEW_SECONDS is invalid/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '3600', /TVM_SIGN_MAX_SKEW_SECONDS is invalid/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '-60', /TVM_SIGN_MAX_SKEW_SECONDS is invalid/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', '60.5', /TVM_SIGN_MAX_SKEW_SECONDS is invalid/],
    ['TVM_SIGN_MAX_SKEW_SECONDS', 'abc', /TVM_SIGN_MAX_SKEW_SECONDS is invalid/],
    ['TVM_SIGN_MAX_URL_TTL_SECONDS', '59', /TVM_SIGN_MAX_URL_TTL_SECONDS is invalid: expected a whole number of seconds from 60 to 43200/],
    ['TVM_SIGN_MAX_URL_TTL_SECONDS', '43201', /TVM_SIGN_MAX_URL_TTL_SECONDS is invalid: expected a whole number of seconds from 60 to 43200, and at most half of TVM_DURATION_SECONDS/],
    ['TVM_SIGN_MAX_URL_TTL_SECONDS', '604800', /TVM_SIGN_MAX_URL_TTL_SECONDS is invalid/],
    ['TVM_SIGN_MAX_URL_TTL_SECONDS', '1e3', /TVM_SIGN_MAX_URL_TTL_SECONDS is invalid/],
    ['TVM_SIGN_POST_POLICY_TTL_SECONDS', '59', /TVM_SIGN_POST_POLICY_TTL_SECONDS is invalid: expected a whole number of seconds from 60 to 43200/],
    ['TVM_SIGN_POST_POLICY_TTL_SECONDS', '43201', /TVM_SIGN_POST_POLICY_TTL_SECONDS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-object-acl', /TVM_SIGN_EXTRA_HEADERS is invalid: expected a comma-separated list of x-oss headers .+ from x-oss-forbid-overwrite, x-oss-storage-class, x-oss-server-side-encryption/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-copy-source', /TVM_SIGN_EXTRA_HEADERS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-callback', /TVM_SIGN_EXTRA_HEADERS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-storage-class,x-oss-tagging', /TVM_SIGN_EXTRA_HEADERS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'X-OSS-STORAGE-CLASS', /TVM_SIGN_EXTRA_HEADERS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-storage-class,', /TVM_SIGN_EXTRA_HEADERS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-storage-class, x-oss-forbid-overwrite', /TVM_SIGN_EXTRA_HEADERS is invalid/],
    ['TVM_SIGN_EXTRA_HEADERS', 'x-oss-storage-class-x', /TVM_SIGN_EXTRA_HEADERS is invalid/],
  ])('refuses %s=%j', (name, value, message) => {
    expect(refusal(testEnvironment({ [name]: value })).message).toMatch(message);
  });

  it('names every bad signing variable at once', () => {
    const { message } = refusal(
      testEnvironment({ TVM_SIGNING_CREDENTIALS: 'other', TVM_SIGN_MAX_SKEW_SECONDS: '901', TVM_SIGN_MAX_URL_TTL_SECONDS: '59', TVM_SIGN_EXTRA_HEADERS: 'x-oss-object-acl' }),
    );

    for (const name of ['TVM_SIGNING_CREDENTIALS', 'TVM_SIGN_MAX_SKEW_SECONDS', 'TVM_SIGN_MAX_URL_TTL_SECONDS', 'TVM_SIGN_EXTRA_HEADERS']) {
      expect(message).toContain(`${name} is invalid`);
    }
  });
});

describe('loadConfig: TVM_SIGNING_SESSION_KEY', () => {
  const key = Buffer.from(Array.from({ length: 32 }, (_, index) => index * 7 + 3));

  it('is absent by default: each instance then seals session tickets with a key of its own', () => {
    expect(loadConfig(testEnvironment()).signing.sessionKey).toBeUndefined();
  });

  it.each([
    ['standard base64, padded (openssl rand -base64 32)', key.toString('base64')],
    ['URL-safe base64 without padding', key.toString('base64url')],
  ])('accepts 32 bytes in %s', (_case, text) => {
    expect(Buffer.from(loadConfig(testEnvironment({ TVM_SIGNING_SESSION_KEY: text })).signing.sessionKey ?? [])).toEqual(key);
  });

  it.each([
    ['16 bytes', Buffer.alloc(16, 5).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 5).toString('base64')],
    ['a passphrase', 'correct horse battery staple, correct horse!'],
    ['43 characters that are not canonical base64 of 32 bytes', `${'A'.repeat(42)}B`],
  ])('refuses %s, without echoing it', (_case, text) => {
    const error = refusal(testEnvironment({ TVM_SIGNING_SESSION_KEY: text }));

    expect(error.message).toMatch(/TVM_SIGNING_SESSION_KEY/);
    expect(error.message).not.toContain(text.slice(0, 12));
  });
});
