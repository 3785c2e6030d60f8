/**
 * The sandbox's demo identity provider and its own pages: the index, OpenID discovery, tokens with
 * any lifetime and claims, the key it signs with (its JWKS, TVM_JWT_SECRET or a key pair), and
 * /health, which says whether the functions can serve.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_TTL_SECONDS, parseTokenQuery } from '../../local/issuer-routes';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../local/sandbox';

const SILENT = { request: () => {}, event: () => {} };
const SECRET = 'a-shared-secret-of-at-least-32-bytes!';

async function withSandbox(environment: Record<string, string>, test: (sandbox: Sandbox) => Promise<void>, options: SandboxOptions = {}): Promise<void> {
  const sandbox = await startSandbox({ port: 0, environment, logger: SILENT, ...options });
  try {
    await test(sandbox);
  } finally {
    await sandbox.close();
  }
}

async function tokenFrom(sandbox: Sandbox, query: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${sandbox.url}/issuer/token?${query}`);
  return { status: response.status, text: (await response.text()).trim() };
}

async function vend(sandbox: Sandbox, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the sandbox pages', () => {
  it('answers /health with 200 and where everything is, / with an index of the routes, and 404 with the same index', async () => {
    await withSandbox({}, async (sandbox) => {
      const health = await fetch(`${sandbox.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', functions: sandbox.functionUrls, sts: sandbox.sts?.url, oss: sandbox.oss?.url, bucketSignatures: 'V4 only', issuer: `${sandbox.url}/issuer` });
      const index = await (await fetch(`${sandbox.url}/`)).text();
      for (const path of ['/vend-token', '/sign-request', '/health', '/issuer', '/issuer/token', '/issuer/.well-known/openid-configuration', '/issuer/.well-known/jwks.json']) {
        expect(index).toContain(`${sandbox.url}${path}`);
      }
      const missing = await fetch(`${sandbox.url}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain(`${sandbox.url}/health`);
      expect((await fetch(`${sandbox.url}/health`, { method: 'POST' })).status).toBe(405);
    });
  });

  it('answers /health with 503 and each problem when the functions cannot serve, which they answer 500 InvalidConfiguration', async () => {
    await withSandbox({ TVM_SCOPES: '{"user":', TVM_ROLE_ARN: 'acs:ram:123:role/x' }, async (sandbox) => {
      expect(sandbox.configurationProblems).toEqual([expect.stringMatching(/^TVM_ROLE_ARN is invalid: /), expect.stringMatching(/^TVM_SCOPES is invalid: /)]);
      const health = await fetch(`${sandbox.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'misconfigured', problems: sandbox.configurationProblems });
      const token = await sandbox.issuer.issue('alice');
      expect(await vend(sandbox, token)).toMatchObject({ status: 500, body: { ErrorCode: 'InvalidConfiguration' } });
    });
  });
});

describe('the demo identity provider', () => {
  it('has an index at /issuer that names its token URL, discovery document, key set and how the functions verify it', async () => {
    await withSandbox({}, async (sandbox) => {
      const index = await fetch(`${sandbox.url}/issuer`);
      expect(index.status).toBe(200);
      const text = await index.text();
      expect(text).toContain(`${sandbox.url}/issuer/token?sub=<user>[&ttl=<seconds>][&<claim>=<value>…]`);
      expect(text).toContain(`${sandbox.url}/issuer/.well-known/openid-configuration`);
      expect(text).toContain(`The functions verify its tokens with TVM_JWKS_URL=${sandbox.url}/issuer/.well-known/jwks.json.`);
    });
  });

  it('publishes an OpenID discovery document whose issuer and jwks_uri are what the functions are configured with', async () => {
    await withSandbox({}, async (sandbox) => {
      const discovery = (await (await fetch(`${sandbox.url}/issuer/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(discovery).toMatchObject({
        issuer: sandbox.settings['TVM_JWT_ISSUER'],
        jwks_uri: sandbox.settings['TVM_JWKS_URL'],
        id_token_signing_alg_values_supported: ['RS256'],
        subject_types_supported: ['public'],
        response_types_supported: ['id_token'],
      });
      const jwks = (await (await fetch(String(discovery['jwks_uri']))).json()) as { keys: { kid: string }[] };
      const token = (await tokenFrom(sandbox, 'sub=alice')).text;
      expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(token).kid);
    });
  });

  it('issues a token with the lifetime asked for, and an already expired one for ttl=-60, which vend-token refuses as expired', async () => {
    await withSandbox({}, async (sandbox) => {
      const now = Math.floor(Date.now() / 1000);
      const short = decodeJwt((await tokenFrom(sandbox, 'sub=bob&ttl=120')).text);
      expect(short.exp).toBeGreaterThanOrEqual(now + 119);
      expect(short.exp).toBeLessThanOrEqual(now + 122);
      const expired = await tokenFrom(sandbox, 'sub=bob&ttl=-60');
      expect((decodeJwt(expired.text).exp ?? 0) < now).toBe(true);
      expect(await vend(sandbox, expired.text)).toMatchObject({ status: 401, body: { ErrorCode: 'InvalidToken', ErrorMessage: expect.stringMatching(/expired/) } });
      expect((await vend(sandbox, (await tokenFrom(sandbox, 'sub=bob&ttl=120')).text)).status).toBe(200);
    });
  });

  it('adds other parameters as claims, so a claim mapping (TVM_IDENTITY_CLAIM=email) can be tried', async () => {
    await withSandbox({ TVM_IDENTITY_CLAIM: 'email', TVM_SCOPES: JSON.stringify({ user: { prefix: 'users/${email}/', actions: ['read'] } }) }, async (sandbox) => {
      const token = (await tokenFrom(sandbox, 'sub=bob&email=bob@example.com&tenant=acme')).text;
      expect(decodeJwt(token)).toMatchObject({ sub: 'bob', email: 'bob@example.com', tenant: 'acme' });
      expect(await vend(sandbox, token)).toMatchObject({ status: 200, body: { Prefix: 'users/bob@example.com/' } });
      const without = await vend(sandbox, (await tokenFrom(sandbox, 'sub=bob')).text);
      expect(without).toMatchObject({ status: 401, body: { ErrorCode: 'InvalidToken' } });
    });
  });

  it('refuses a bad ttl, a time claim and a repeated parameter with 400 and a sentence', async () => {
    await withSandbox({}, async (sandbox) => {
      for (const query of ['ttl=abc', `ttl=${MAX_TTL_SECONDS + 1}`, 'exp=1', 'sub=a&sub=b', 'sub=']) {
        const answer = await tokenFrom(sandbox, query);
        expect(answer.status, query).toBe(400);
        expect(answer.text).toMatch(/^[A-Za-z"].+\.$/);
      }
    });
  });
});

describe('the sandbox with a key instead of its JWKS', () => {
  it('signs with TVM_JWT_SECRET (HS256), which the functions then verify, without a JWKS', async () => {
    await withSandbox({ TVM_JWT_SECRET: SECRET }, async (sandbox) => {
      expect(sandbox.configurationProblems).toEqual([]);
      expect(sandbox.settings['TVM_JWKS_URL']).toBeUndefined();
      expect(sandbox.verifiedWith).toMatch(/^TVM_JWT_SECRET/);
      const token = (await tokenFrom(sandbox, 'sub=carol')).text;
      expect(decodeProtectedHeader(token).alg).toBe('HS256');
      expect(await vend(sandbox, token)).toMatchObject({ status: 200, body: { Prefix: 'users/carol/' } });
      expect(((await (await fetch(`${sandbox.url}/issuer/.well-known/jwks.json`)).json()) as { keys: unknown[] }).keys).toEqual([]);
    });
  });

  it.each([
    ['an EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'],
    ['an Ed25519', () => generateKeyPairSync('ed25519'), 'EdDSA'],
  ])('signs with SANDBOX_JWT_PRIVATE_KEY (%s key), whose public half the functions get as TVM_JWT_PUBLIC_KEY', async (_name, pair, algorithm) => {
    const { privateKey, publicKey } = pair();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await withSandbox({ SANDBOX_JWT_PRIVATE_KEY: pem, TVM_JWT_PUBLIC_KEY: publicPem }, async (sandbox) => {
      expect(sandbox.configurationProblems).toEqual([]);
      expect(sandbox.settings['TVM_JWKS_URL']).toBeUndefined();
      expect(sandbox.settings['TVM_JWT_PUBLIC_KEY']).toBe(publicPem);
      const token = (await tokenFrom(sandbox, 'sub=dave')).text;
      expect(decodeProtectedHeader(token).alg).toBe(algorithm);
      expect(await vend(sandbox, token)).toMatchObject({ status: 200, body: { Prefix: 'users/dave/' } });
    });
  });

  it('says what is missing when TVM_JWT_PUBLIC_KEY is set without the private key, or does not match it', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await withSandbox({ TVM_JWT_PUBLIC_KEY: publicPem }, async (sandbox) => {
      expect(sandbox.configurationProblems).toContainEqual(expect.stringMatching(/^TVM_JWT_PUBLIC_KEY is set, but .* set SANDBOX_JWT_PRIVATE_KEY/));
    });
    await withSandbox({ TVM_JWT_PUBLIC_KEY: publicPem, SANDBOX_JWT_PRIVATE_KEY: other }, async (sandbox) => {
      expect(sandbox.configurationProblems).toEqual(['TVM_JWT_PUBLIC_KEY is not the public half of SANDBOX_JWT_PRIVATE_KEY']);
    });
    await withSandbox({ SANDBOX_JWT_PRIVATE_KEY: 'not a key' }, async (sandbox) => {
      expect(sandbox.configurationProblems).toContainEqual(expect.stringMatching(/^SANDBOX_JWT_PRIVATE_KEY is invalid: /));
    });
  });
});

describe('parseTokenQuery', () => {
  it('reads sub, ttl and claims, or refuses with a sentence, as an independent reading of the rules says', () => {
    const name = fc.oneof(fc.constantFrom('sub', 'ttl', 'exp', 'iat', 'nbf', 'email', 'aud', '', '__proto__', 'constructor'), fc.string({ maxLength: 8 }));
    const value = fc.oneof(fc.constantFrom('', 'alice', '60', '-60', '0', '86400', '86401', '-86401', '1e3', '007', ' 5'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 5 }), (pairs) => {
        const result = parseTokenQuery(new URLSearchParams(pairs));
        // Oracle: the rules of README ("The demo identity provider"), read afresh.
        const names = pairs.map(([key]) => key);
        const ttl = pairs.find(([key]) => key === 'ttl')?.[1];
        const sub = pairs.find(([key]) => key === 'sub')?.[1];
        const refused =
          new Set(names).size !== names.length ||
          names.some((key) => key === '' || ['exp', 'iat', 'nbf'].includes(key)) ||
          sub === '' ||
          (ttl !== undefined && !(/^-?\d+$/.test(ttl) && Math.abs(Number(ttl)) <= 86_400 && ttl.replace('-', '').length <= 6));
        if (refused) return typeof result === 'string' && result.endsWith('.');
        if (typeof result === 'string') return false;
        const claims = Object.fromEntries(pairs.filter(([key]) => key !== 'sub' && key !== 'ttl'));
        return result.subject === (sub ?? 'alice') && result.lifetimeSeconds === (ttl === undefined ? 3600 : Number(ttl)) && JSON.stringify({ ...result.claims }) === JSON.stringify(claims);
      }),
      { numRuns: 10_000 },
    );
  });
});
