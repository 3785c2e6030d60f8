/**
 * Test helpers for JSON Web Tokens: key pairs, signed tokens, hand-made attack tokens and a JWKS
 * served on a real loopback HTTP server. Nothing here is used outside the tests.
 *
 * @example
 * ```ts
 * const keys = await testKeys('RS256');
 * const token = await signToken({ key: keys.privateKey, alg: 'RS256', claims: { sub: 'alice' } });
 * const jwks = await startJwksServer({ keys: [{ ...keys.publicJwk, kid: 'k1', alg: 'RS256' }] });
 * try { ... } finally { await jwks.close(); }
 * ```
 */
import { type CryptoKey, type JWK, type JWTPayload, SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { createHmac } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../../local/listen';

/** The issuer the test configurations trust. */
export const TEST_ISSUER = 'https://issuer.test.example/';

/** The audience the test configurations expect. */
export const TEST_AUDIENCE = 'oss-tvm-test';

/**
 * An HS256 shared secret for tests only (40 ASCII bytes, above the 32-byte minimum).
 * TEST VALUE: never use it anywhere real.
 */
export const TEST_SECRET = 'TEST-ONLY-hs256-secret-not-for-real-use!';

/** {@link TEST_SECRET} as the bytes that sign and verify. */
export const TEST_SECRET_BYTES: Uint8Array = new TextEncoder().encode(TEST_SECRET);

/** Asymmetric algorithms the helpers can generate key pairs for. */
export type AsymmetricAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** A generated key pair with its public half exported in every form a configuration takes. */
export interface TestKeyPair {
  readonly alg: AsymmetricAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public key as SPKI PEM (what TVM_JWT_PUBLIC_KEY takes). */
  readonly publicPem: string;
  /** The public key as a JWK, without `kid`/`alg`/`use`. */
  readonly publicJwk: JWK;
}

/**
 * The test key pair of `alg` called `name`: generated (extractable) the first time a file of this
 * process asks for it, then the same pair for every file that asks again (an RSA key costs 100 to
 * 300 ms of CPU to make). Ask for another `name` for a pair that must differ, such as an attacker's.
 *
 * @example
 * ```ts
 * const [trusted, attacker] = await Promise.all([testKeys('RS256'), testKeys('RS256', 'attacker')]);
 * ```
 */
export function testKeys(alg: AsymmetricAlgorithm, name = 'main'): Promise<TestKeyPair> {
  const id = `${alg}:${name}`;
  let pair = keysOfThisProcess.get(id);
  if (pair === undefined) {
    pair = generateKeys(alg);
    keysOfThisProcess.set(id, pair);
  }
  return pair;
}

const keysOfThisProcess = new Map<string, Promise<TestKeyPair>>();

async function generateKeys(alg: AsymmetricAlgorithm): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, publicKey, publicPem: await exportSPKI(publicKey), publicJwk: await exportJWK(publicKey) };
}

/** What {@link signToken} puts in a token. Omitted fields get test defaults; `null` leaves a claim out. */
export interface TokenOptions {
  /** The signing key: a private key, or secret bytes for HS256 (default {@link TEST_SECRET_BYTES}). */
  readonly key?: CryptoKey | Uint8Array;
  /** The JWS algorithm (default HS256). */
  readonly alg?: string;
  /** Extra claims (default `{ sub: 'alice' }`). */
  readonly claims?: JWTPayload;
  /** `iss` (default {@link TEST_ISSUER}); `null` for none. */
  readonly issuer?: string | null;
  /** `aud` (default {@link TEST_AUDIENCE}); `null` for none. */
  readonly audience?: string | string[] | null;
  /** `exp` in seconds from now, may be negative (default 300); `null` for none. */
  readonly expiresIn?: number | null;
  /** `nbf` in seconds from now, may be negative; absent by default. */
  readonly notBeforeIn?: number;
  /** The `kid` header. */
  readonly kid?: string;
  /** Extra protected header parameters, such as `crit`, `jku` or `jwk`. */
  readonly header?: Record<string, unknown>;
}

/** Seconds since the epoch, now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Signs a JWT with jose `SignJWT`.
 *
 * @example
 * ```ts
 * const expired = await signToken({ expiresIn: -60 });                 // HS256 with TEST_SECRET
 * const other = await signToken({ key: keys.privateKey, alg: 'RS256', audience: 'someone-else' });
 * ```
 */
export async function signToken(options: TokenOptions = {}): Promise<string> {
  const now = nowSeconds();
  const header = { ...options.header, alg: options.alg ?? 'HS256', ...(options.kid === undefined ? {} : { kid: options.kid }) };
  const jwt = new SignJWT({ sub: 'alice', ...options.claims }).setProtectedHeader(header as never).setIssuedAt(now);
  const issuer = options.issuer === undefined ? TEST_ISSUER : options.issuer;
  if (issuer !== null) jwt.setIssuer(issuer);
  const audience = options.audience === undefined ? TEST_AUDIENCE : options.audience;
  if (audience !== null) jwt.setAudience(audience);
  const expiresIn = options.expiresIn === undefined ? 300 : options.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  if (options.notBeforeIn !== undefined) jwt.setNotBefore(now + options.notBeforeIn);
  return jwt.sign(options.key ?? TEST_SECRET_BYTES);
}

/** Base64url of a string or bytes, without padding. */
export function base64url(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url');
}

/** A standard claims set for hand-made tokens: test issuer and audience, `sub` alice, valid for 5 minutes. */
export function defaultClaims(extra: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return { sub: 'alice', iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 300, ...extra };
}

/**
 * An unsigned token (`header.payload.`), made by hand because jose refuses to create one.
 *
 * @param alg the `alg` header, e.g. `none`, `NONE` or `nOnE`.
 */
export function unsignedToken(alg = 'none', claims: JWTPayload = defaultClaims()): string {
  return `${base64url(JSON.stringify({ alg, typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.`;
}

/**
 * An HMAC-signed token made by hand with node:crypto, so that jose's own checks on what it signs do
 * not stand in the way (any header parameter, such as an unknown `crit`, can be set). The hash
 * follows `header.alg` (HS256 unless given).
 *
 * Given an RSA public key's PEM text as `key`, this is the HS/RS algorithm-confusion attack: a
 * verifier that takes `alg` from the token and uses its configured public key as an HMAC secret
 * would accept the token.
 *
 * @example
 * ```ts
 * const confused = hmacToken(keys.publicPem);                       // HS/RS confusion
 * const critical = hmacToken(TEST_SECRET, defaultClaims(), { crit: ['x-must'], 'x-must': 1 });
 * ```
 */
export function hmacToken(key: string | Uint8Array, claims: JWTPayload = defaultClaims(), header: Record<string, unknown> = {}): string {
  const fullHeader = { alg: 'HS256', typ: 'JWT', ...header };
  const bits = /^HS(256|384|512)$/.exec(String(fullHeader.alg))?.[1] ?? '256';
  const signingInput = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${createHmac(`sha${bits}`, key).update(signingInput).digest('base64url')}`;
}

/**
 * A minimal valid TVM_* environment: test role, bucket `photos` in cn-hangzhou, the test issuer and
 * audience, and {@link TEST_SECRET} as the key source. `overrides` replace or add variables; an
 * `undefined` value removes one (e.g. `{ TVM_JWT_SECRET: undefined, TVM_JWKS_URL: url }`).
 */
export function testEnvironment(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const environment: Record<string, string | undefined> = {
    TVM_ROLE_ARN: 'acs:ram::1234567890123456:role/oss-tvm-app',
    TVM_BUCKET: 'photos',
    TVM_REGION: 'cn-hangzhou',
    TVM_JWT_ISSUER: TEST_ISSUER,
    TVM_JWT_AUDIENCE: TEST_AUDIENCE,
    TVM_JWT_SECRET: TEST_SECRET,
    ...overrides,
  };
  for (const [name, value] of Object.entries(environment)) if (value === undefined) delete environment[name];
  return environment;
}

/** A JSON Web Key Set. */
export interface JwkSet {
  keys: JWK[];
}

/** A JWKS served over HTTP on the loopback interface. */
export interface JwksServer {
  /** The JWKS URL, `http://127.0.0.1:<port>/.well-known/jwks.json`. */
  readonly url: string;
  /** How many requests the server has answered so far. */
  readonly requests: number;
  /** Replaces the served key set. */
  setJwks(jwks: JwkSet): void;
  /** Makes later responses carry this HTTP status (default 200) with the same body. */
  setStatus(status: number): void;
  /** Stops the server; later requests are refused at the TCP level. */
  close(): Promise<void>;
}

/**
 * Serves `jwks` as JSON on a real node:http server bound to 127.0.0.1 on a free port.
 *
 * @example
 * ```ts
 * const server = await startJwksServer({ keys: [{ ...keys.publicJwk, kid: 'k1', alg: 'RS256' }] });
 * // TVM_JWKS_URL = server.url
 * expect(server.requests).toBe(1);
 * await server.close();
 * ```
 */
export async function startJwksServer(jwks: JwkSet): Promise<JwksServer> {
  let body = JSON.stringify(jwks);
  let requests = 0;
  let status = 200;
  const server: Server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  });
  await listen(server, '127.0.0.1', 0);
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setJwks(next) {
      body = JSON.stringify(next);
    },
    setStatus(next) {
      status = next;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
