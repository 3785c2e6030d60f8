import fc from 'fast-check';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authenticator, createAuthenticator } from '../../shared/auth/authenticate';
import { loadConfig } from '../../shared/config/load-config';
import { TvmError } from '../../shared/errors';
import {
  type JwksServer,
  type TestKeyPair,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_SECRET,
  TEST_SECRET_BYTES,
  base64url,
  defaultClaims,
  testKeys,
  hmacToken,
  signToken,
  startJwksServer,
  testEnvironment,
  unsignedToken,
} from '../helpers/jwt';
import { oftenBe, oftenEqual, oftenInstanceOf } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** An authenticator wired the way the functions wire it: environment → loadConfig → createAuthenticator. */
function authenticatorFor(overrides: Record<string, string | undefined> = {}): Authenticator {
  return createAuthenticator(loadConfig(testEnvironment(overrides)).jwt);
}

function withPublicKey(key: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { TVM_JWT_SECRET: undefined, TVM_JWT_PUBLIC_KEY: key, ...extra };
}

async function refusal(authenticate: Authenticator, authorization: string | undefined): Promise<TvmError> {
  const outcome = await authenticate(authorization).then(
    (caller) => ({ caller }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a refusal, but "${outcome.caller.identity}" was accepted`);
  expect(outcome.error).toBeInstanceOf(TvmError);
  return outcome.error as TvmError;
}

/** Asserts the 401 invalid_token refusal, a readable message, and that no part of the token leaks. */
async function expectInvalidToken(authenticate: Authenticator, authorization: string | undefined, message: RegExp): Promise<TvmError> {
  const error = await refusal(authenticate, authorization);
  expect(error.status).toBe(401);
  expect(error.code).toBe('InvalidToken');
  expect(error.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
  expect(error.message).toMatch(message);
  expect(error.message).toMatch(/^[A-Z].*\.$/);
  for (const part of (authorization ?? '').replace(/^Bearer\s*/i, '').split('.')) {
    if (part.length >= 8) expect(error.message).not.toContain(part);
  }
  return error;
}

const bearer = (token: string): string => `Bearer ${token}`;

const ALGORITHM_REFUSED = /algorithm this service does not accept/;
const BAD_SIGNATURE = /signature is not valid/;
const MALFORMED = /malformed or cannot be verified/;
const NOT_BEARER = /not a bearer JWT/;

let rsa: TestKeyPair;
let ec: TestKeyPair;
let ed: TestKeyPair;
let attacker: TestKeyPair;

beforeAll(async () => {
  [rsa, ec, ed, attacker] = await Promise.all([testKeys('RS256'), testKeys('ES256'), testKeys('EdDSA'), testKeys('RS256', 'attacker')]);
});

describe('createAuthenticator: success for each key source', () => {
  it('accepts an HS256 token signed with TVM_JWT_SECRET and returns the verified identity and claims', async () => {
    // Prepare
    const authenticate = authenticatorFor();
    const token = await signToken({ claims: { sub: 'alice', email: 'a@example.com' } });

    // Act
    const caller = await authenticate(bearer(token));

    // Assess
    expect(caller.identity).toBe('alice');
    expect(caller.claims).toMatchObject({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, email: 'a@example.com' });
  });

  it.each([
    ['RS256', () => rsa],
    ['ES256', () => ec],
    ['EdDSA', () => ed],
  ] as const)('accepts a %s token verified with a PEM TVM_JWT_PUBLIC_KEY', async (alg, keys) => {
    const authenticate = authenticatorFor(withPublicKey(keys().publicPem));
    const token = await signToken({ key: keys().privateKey, alg, claims: { sub: 'bob' } });

    await expect(authenticate(bearer(token))).resolves.toMatchObject({ identity: 'bob' });
  });

  it('accepts a PEM given with escaped newlines (\\n), as environment editors often store it', async () => {
    const authenticate = authenticatorFor(withPublicKey(rsa.publicPem.replace(/\n/g, '\\n')));
    const token = await signToken({ key: rsa.privateKey, alg: 'RS256' });

    await expect(authenticate(bearer(token))).resolves.toMatchObject({ identity: 'alice' });
  });

  it('accepts a token verified with a public JWK as TVM_JWT_PUBLIC_KEY', async () => {
    const authenticate = authenticatorFor(withPublicKey(JSON.stringify(ec.publicJwk)));
    const token = await signToken({ key: ec.privateKey, alg: 'ES256' });

    await expect(authenticate(bearer(token))).resolves.toMatchObject({ identity: 'alice' });
  });

  it('accepts the scheme name in any case and surrounding spaces', async () => {
    const authenticate = authenticatorFor();
    const token = await signToken();

    await expect(authenticate(`bearer   ${token} `)).resolves.toMatchObject({ identity: 'alice' });
  });

  it('accepts a token whose audience list contains one of the configured audiences', async () => {
    const authenticate = authenticatorFor({ TVM_JWT_AUDIENCE: `other,${TEST_AUDIENCE}` });
    const token = await signToken({ audience: ['someone-else', TEST_AUDIENCE] });

    await expect(authenticate(bearer(token))).resolves.toMatchObject({ identity: 'alice' });
  });
});

describe('createAuthenticator: JWKS from TVM_JWKS_URL on a real loopback server', () => {
  let server: JwksServer;
  let authenticate: Authenticator;

  beforeAll(async () => {
    const keys: JWK[] = [
      { ...rsa.publicJwk, kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...ec.publicJwk, kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = await startJwksServer({ keys });
    authenticate = authenticatorFor({ TVM_JWT_SECRET: undefined, TVM_JWKS_URL: server.url, TVM_JWT_ALGORITHMS: 'RS256,ES256' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('verifies several tokens while fetching the key set only once (jose caches it)', async () => {
    // Prepare
    const tokens = await Promise.all([
      signToken({ key: rsa.privateKey, alg: 'RS256', kid: 'rsa-1', claims: { sub: 'u1' } }),
      signToken({ key: ec.privateKey, alg: 'ES256', kid: 'ec-1', claims: { sub: 'u2' } }),
      signToken({ key: rsa.privateKey, alg: 'RS256', kid: 'rsa-1', claims: { sub: 'u3' } }),
    ]);

    // Act
    const identities: string[] = [];
    for (const token of tokens) identities.push((await authenticate(bearer(token))).identity);
    identities.push((await authenticate(bearer(tokens[0] as string))).identity);

    // Assess
    expect(identities).toEqual(['u1', 'u2', 'u3', 'u1']);
    expect(server.requests).toBe(1);
  });

  it('refuses a token whose kid is not in the key set, without refetching during the cooldown', async () => {
    await authenticate(bearer(await signToken({ key: rsa.privateKey, alg: 'RS256', kid: 'rsa-1' })));
    const before = server.requests;
    const token = await signToken({ key: attacker.privateKey, alg: 'RS256', kid: 'unknown-kid' });

    await expectInvalidToken(authenticate, bearer(token), /No key of the identity provider's key set matches the token/);
    expect(server.requests).toBe(before);
  });

  it('refuses a token signed by another key under a kid that is in the key set', async () => {
    const token = await signToken({ key: attacker.privateKey, alg: 'RS256', kid: 'rsa-1' });

    await expectInvalidToken(authenticate, bearer(token), BAD_SIGNATURE);
  });

  it('never follows jku or x5u headers nor trusts an embedded jwk header', async () => {
    // Prepare: the attacker serves their own key set and points the token at it.
    const evil = await startJwksServer({ keys: [{ ...attacker.publicJwk, kid: 'rsa-1', alg: 'RS256' }] });
    try {
      const token = await signToken({
        key: attacker.privateKey,
        alg: 'RS256',
        kid: 'rsa-1',
        header: { jku: evil.url, x5u: evil.url, jwk: attacker.publicJwk },
      });

      // Act / Assess
      await expectInvalidToken(authenticate, bearer(token), BAD_SIGNATURE);
      expect(evil.requests).toBe(0);
    } finally {
      await evil.close();
    }
  });

  it('refuses an alg none token without fetching anything more', async () => {
    const before = server.requests;

    await expectInvalidToken(authenticate, bearer(unsignedToken('none')), ALGORITHM_REFUSED);
    expect(server.requests).toBe(before);
  });

  it('answers 503 IdentityProviderUnavailable when the JWKS server is down (connection refused)', async () => {
    // Prepare: a server that existed and is closed, so the port refuses connections.
    const gone = await startJwksServer({ keys: [{ ...rsa.publicJwk, kid: 'rsa-1', alg: 'RS256' }] });
    await gone.close();
    const down = authenticatorFor({ TVM_JWT_SECRET: undefined, TVM_JWKS_URL: gone.url });
    const token = await signToken({ key: rsa.privateKey, alg: 'RS256', kid: 'rsa-1' });

    // Act
    const error = await refusal(down, bearer(token));

    // Assess
    expect(error.status).toBe(503);
    expect(error.code).toBe('IdentityProviderUnavailable');
    expect(error.headers['Retry-After']).toBe('5');
    expect(error.headers['WWW-Authenticate']).toBeUndefined();
    expect(error.message).toMatch(/key set could not be fetched/);
    expect(error.message).not.toContain(token.split('.')[2] as string);
    // What the key set fetcher surfaced underneath: the refused connection.
    expect((error.cause as Error).name).toBe('KeySetUnavailable');
    expect(((error.cause as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('answers 503 when the JWKS server answers with an error status, and recovers once it is back', async () => {
    // Prepare
    const flaky = await startJwksServer({ keys: [{ ...rsa.publicJwk, kid: 'rsa-1', alg: 'RS256' }] });
    try {
      flaky.setStatus(500);
      const verify = authenticatorFor({ TVM_JWT_SECRET: undefined, TVM_JWKS_URL: flaky.url });
      const token = await signToken({ key: rsa.privateKey, alg: 'RS256', kid: 'rsa-1' });

      // Act / Assess
      const error = await refusal(verify, bearer(token));
      expect(error.status).toBe(503);
      expect(error.code).toBe('IdentityProviderUnavailable');

      flaky.setStatus(200);
      await expect(verify(bearer(token))).resolves.toMatchObject({ identity: 'alice' });
    } finally {
      await flaky.close();
    }
  });

  it('answers 503 when the JWKS URL serves something that is not a key set', async () => {
    const broken = await startJwksServer({ keys: 'not-an-array' } as never);
    try {
      const verify = authenticatorFor({ TVM_JWT_SECRET: undefined, TVM_JWKS_URL: broken.url });
      const token = await signToken({ key: rsa.privateKey, alg: 'RS256', kid: 'rsa-1' });

      const error = await refusal(verify, bearer(token));
      expect([error.status, error.code]).toEqual([503, 'IdentityProviderUnavailable']);
    } finally {
      await broken.close();
    }
  });
});

describe('createAuthenticator: the JWT attack corpus', () => {
  let secretAuth: Authenticator;
  let rsaAuth: Authenticator;

  beforeAll(() => {
    secretAuth = authenticatorFor();
    rsaAuth = authenticatorFor(withPublicKey(rsa.publicPem));
  });

  describe('unsigned tokens (alg none)', () => {
    it.each(['none', 'NONE', 'nOnE'])('refuses alg "%s" with a secret key source', async (alg) => {
      await expectInvalidToken(secretAuth, bearer(unsignedToken(alg)), ALGORITHM_REFUSED);
    });

    it.each(['none', 'NONE', 'nOnE'])('refuses alg "%s" with a public key source', async (alg) => {
      await expectInvalidToken(rsaAuth, bearer(unsignedToken(alg)), ALGORITHM_REFUSED);
    });

    it('refuses an alg none token that carries a copied signature', async () => {
      const real = await signToken();
      const forged = `${unsignedToken('none')}${real.split('.')[2]}`;

      await expectInvalidToken(secretAuth, bearer(forged), ALGORITHM_REFUSED);
    });
  });

  it('refuses a token signed with another key', async () => {
    const token = await signToken({ key: attacker.privateKey, alg: 'RS256' });

    await expectInvalidToken(rsaAuth, bearer(token), BAD_SIGNATURE);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signToken({ key: new TextEncoder().encode('TEST-ONLY-another-secret-of-32-bytes-or-more') });

    await expectInvalidToken(secretAuth, bearer(token), BAD_SIGNATURE);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await signToken()).split('.');
    const tampered = `${header}.${base64url(JSON.stringify(defaultClaims({ sub: 'admin' })))}.${signature}`;

    await expectInvalidToken(secretAuth, bearer(tampered), BAD_SIGNATURE);
  });

  it.each(['HS256', 'HS384', 'HS512'] as const)(
    'refuses the HS/RS confusion attack: an %s token whose HMAC key is the configured RSA public key PEM',
    async (alg) => {
      await expectInvalidToken(rsaAuth, bearer(hmacToken(rsa.publicPem, defaultClaims(), { alg })), ALGORITHM_REFUSED);
      await expectInvalidToken(rsaAuth, bearer(hmacToken(rsa.publicPem.trim(), defaultClaims(), { alg })), ALGORITHM_REFUSED);
    },
  );

  it('refuses the HS/RS confusion attack against a JWK key source too', async () => {
    const jwkAuth = authenticatorFor(withPublicKey(JSON.stringify(rsa.publicJwk)));

    await expectInvalidToken(jwkAuth, bearer(hmacToken(JSON.stringify(rsa.publicJwk))), ALGORITHM_REFUSED);
  });

  it('refuses an RS256 token when only HS256 (a secret) is configured', async () => {
    const token = await signToken({ key: rsa.privateKey, alg: 'RS256' });

    await expectInvalidToken(secretAuth, bearer(token), ALGORITHM_REFUSED);
  });

  describe('time claims, with the 30 s clock tolerance', () => {
    it('refuses a token that expired beyond the tolerance', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ expiresIn: -45 })), /^The token has expired\.$/);
    });

    it('accepts a token that expired within the tolerance (10 s ago)', async () => {
      await expect(secretAuth(bearer(await signToken({ expiresIn: -10 })))).resolves.toMatchObject({ identity: 'alice' });
    });

    it('refuses a token that is not valid before a time beyond the tolerance', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ notBeforeIn: 60 })), /^The token is not valid yet\.$/);
    });

    it('accepts a token whose nbf is within the tolerance (10 s ahead)', async () => {
      await expect(secretAuth(bearer(await signToken({ notBeforeIn: 10 })))).resolves.toMatchObject({ identity: 'alice' });
    });

    it('refuses a token without exp (tokens that never expire are not accepted)', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ expiresIn: null })), /^The token has no "exp" claim\.$/);
    });

    it('refuses a token whose exp is not a number', async () => {
      await expectInvalidToken(secretAuth, bearer(hmacToken(TEST_SECRET, defaultClaims({ exp: 'tomorrow' as never }))), /"exp" claim is invalid/);
    });
  });

  describe('issuer and audience are mandatory and checked', () => {
    it('refuses a token without aud', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ audience: null })), /^The token has no "aud" claim\.$/);
    });

    it('refuses a token for another audience', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ audience: 'another-app' })), /^The token is meant for another audience\.$/);
    });

    it('refuses a token without iss', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ issuer: null })), /^The token has no "iss" claim\.$/);
    });

    it('refuses a token from another issuer', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ issuer: 'https://evil.example/' })), /issuer this service does not trust/);
    });

    it('refuses an issuer that differs only by a trailing slash', async () => {
      await expectInvalidToken(secretAuth, bearer(await signToken({ issuer: TEST_ISSUER.replace(/\/$/, '') })), /issuer this service does not trust/);
    });
  });

  describe('the identity claim', () => {
    it('refuses a token without the identity claim', async () => {
      const token = hmacToken(TEST_SECRET, { ...defaultClaims(), sub: undefined });

      await expectInvalidToken(secretAuth, bearer(token), /^The token has no "sub" claim\.$/);
    });

    it.each([[12345], [true], [null], [['alice']], [{ id: 'alice' }]])('refuses a token whose identity claim is not a string (%j)', async (sub) => {
      const token = hmacToken(TEST_SECRET, defaultClaims({ sub: sub as never }));

      await expectInvalidToken(secretAuth, bearer(token), /^The token's "sub" claim is not a string\.$/);
    });

    it('uses the configured identity claim (uid) and ignores sub', async () => {
      // Prepare
      const authenticate = authenticatorFor({ TVM_IDENTITY_CLAIM: 'uid' });
      const token = await signToken({ claims: { sub: 'from-sub', uid: 'from-uid' } });

      // Act
      const caller = await authenticate(bearer(token));

      // Assess
      expect(caller.identity).toBe('from-uid');
    });

    it('refuses a token with sub but without the configured identity claim', async () => {
      const authenticate = authenticatorFor({ TVM_IDENTITY_CLAIM: 'uid' });

      await expectInvalidToken(authenticate, bearer(await signToken({ claims: { sub: 'alice' } })), /^The token has no "uid" claim\.$/);
    });

    it.each(['*', '../x', 'a/b', 'alice*', '', ' alice', 'x'.repeat(65), 'ünï', '${sub}'])(
      'answers 403 InvalidIdentity for the unsafe identity %j',
      async (sub) => {
        const token = await signToken({ claims: { sub } });

        const error = await refusal(secretAuth, bearer(token));

        expect(error.status).toBe(403);
        expect(error.code).toBe('InvalidIdentity');
        expect(error.message).toMatch(/^The token's "sub" claim cannot be used as an identity: .+\.$/);
        expect(error.headers['WWW-Authenticate']).toBeUndefined();
      },
    );
  });

  describe('the Authorization header', () => {
    it('refuses a request without the header', async () => {
      await expectInvalidToken(secretAuth, undefined, /has no bearer token/);
      await expectInvalidToken(secretAuth, '', /has no bearer token/);
    });

    it('refuses Basic credentials', async () => {
      await expectInvalidToken(secretAuth, `Basic ${Buffer.from('alice:password').toString('base64')}`, NOT_BEARER);
    });

    it.each(['Bearer', 'Bearer ', 'Bearer    '])('refuses %j with no token', async (header) => {
      await expectInvalidToken(secretAuth, header, NOT_BEARER);
    });

    it('refuses a token without the scheme', async () => {
      await expectInvalidToken(secretAuth, await signToken(), NOT_BEARER);
    });

    it.each(['Bearer garbage', 'Bearer a.b', 'Bearer a.b.c.d', 'Bearer ....', 'Bearer a.b.c', 'Bearer e30.e30.', 'Bearer !!.??.##'])(
      'refuses the garbage %j',
      async (header) => {
        await expectInvalidToken(secretAuth, header, /not a bearer JWT|malformed or cannot be verified|algorithm this service does not accept/);
      },
    );

    it('refuses a 20 KB header without parsing it', async () => {
      const huge = `Bearer ${'a'.repeat(10_000)}.${'b'.repeat(10_000)}.${'c'.repeat(480)}`;

      await expectInvalidToken(secretAuth, huge, NOT_BEARER);
    });

    it('refuses two tokens in one header', async () => {
      const token = await signToken();

      await expectInvalidToken(secretAuth, `Bearer ${token} ${token}`, NOT_BEARER);
      await expectInvalidToken(secretAuth, `Bearer ${token},Bearer ${token}`, NOT_BEARER);
    });
  });

  describe('header parameters an attacker controls', () => {
    it('refuses a token whose header has a crit parameter this service does not understand', async () => {
      const token = hmacToken(TEST_SECRET, defaultClaims(), { crit: ['x-must-understand'], 'x-must-understand': true });

      await expectInvalidToken(secretAuth, bearer(token), MALFORMED);
    });

    it('verifies only with the configured key when the token embeds its own jwk header', async () => {
      const token = await signToken({ key: attacker.privateKey, alg: 'RS256', header: { jwk: attacker.publicJwk } });

      await expectInvalidToken(rsaAuth, bearer(token), BAD_SIGNATURE);
    });

    it('does not follow a jku or x5u header pointing elsewhere', async () => {
      const evil = await startJwksServer({ keys: [{ ...attacker.publicJwk, alg: 'RS256' }] });
      try {
        const token = await signToken({ key: attacker.privateKey, alg: 'RS256', header: { jku: evil.url, x5u: evil.url } });

        await expectInvalidToken(rsaAuth, bearer(token), BAD_SIGNATURE);
        expect(evil.requests).toBe(0);
      } finally {
        await evil.close();
      }
    });

    it('refuses a b64:false (unencoded payload) token', async () => {
      const token = hmacToken(TEST_SECRET, defaultClaims(), { b64: false, crit: ['b64'] });

      await expectInvalidToken(secretAuth, bearer(token), MALFORMED);
    });
  });
});

describe('createAuthenticator: any Authorization header (property)', () => {
  const token = (): fc.Arbitrary<string> => fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
  const headers = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: BINARY, maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc.tuple(token(), token(), token()).map((parts) => `Bearer ${parts.join('.')}`),
    fc
      .record({ alg: fc.constantFrom('none', 'HS256', 'RS256', 'HS512', 'ES256', ''), claims: fc.dictionary(fc.string(), fc.jsonValue()) })
      .map(({ alg, claims }) => `Bearer ${hmacToken('random-not-the-secret', claims as never, { alg })}`),
  );

  it('turns every random header into TvmError 401 InvalidToken, never another error and never success', async () => {
    const authenticate = authenticatorFor();

    await fc.assert(
      fc.asyncProperty(headers, async (header) => {
        const outcome = await authenticate(header).then(
          () => 'accepted',
          (error: unknown) => error,
        );
        oftenInstanceOf(outcome, TvmError);
        const error = outcome as TvmError;
        oftenEqual([error.status, error.code], [401, 'InvalidToken']);
        oftenBe(error.headers['WWW-Authenticate'], 'Bearer error="invalid_token"');
      }),
      { numRuns: 10_000 },
    );
  });

  it('keeps refusing tokens signed with TEST_SECRET_BYTES once any single character is changed', async () => {
    const authenticate = authenticatorFor();
    const valid = await signToken({ key: TEST_SECRET_BYTES });

    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.constantFrom(...'AQgw_-.xyz0'), async (index, replacement) => {
        fc.pre(valid[index] !== replacement);
        const mutated = `${valid.slice(0, index)}${replacement}${valid.slice(index + 1)}`;
        const outcome = await authenticate(bearer(mutated)).then(
          (caller) => caller,
          (error: unknown) => error,
        );
        if (outcome instanceof TvmError) {
          oftenEqual([outcome.status, outcome.code], [401, 'InvalidToken']);
        } else {
          // The signature's last base64url character carries unused bits: a change there may decode to
          // the same signature bytes. Anywhere else, a change must be refused.
          expect(outcome).toMatchObject({ identity: 'alice' });
          oftenBe(index, valid.length - 1);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
