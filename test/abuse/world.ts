/**
 * The world the abuse properties run in: both REAL handlers over one valid configuration, the STS
 * emulator on loopback, an RS256 key pair the configuration trusts (tokens are signed by hand with
 * node:crypto, fast enough for thousands of runs), a logger that only watches, and the checks every
 * response must pass, whatever the input.
 */
import { type KeyObject, constants, createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import { createVendTokenHandler } from '../../functions/vend-token/create-handler';
import type { ErrorCode } from '../../shared/errors';
import type { FcContext, FcHttpHandler } from '../../shared/http/fc-event';
import type { HttpResponse } from '../../shared/http/message';
import { createLogger } from '../../shared/log';
import { StsEmulator } from '../../local/sts-emulator';

/** ali-oss 6.23's V4 signature (`lib/common/signUtils.js`), the oracle of every V4 signature. */
export const aliOssV4 = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as {
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
  getStringToSign(region: string, date: string, canonicalRequest: string, product?: string): string;
  getSignatureV4(accessKeySecret: string, date: string, region: string, stringToSign: string, product?: string): string;
};

export type FunctionName = 'vend-token' | 'sign-request';
export const FUNCTIONS: readonly FunctionName[] = ['vend-token', 'sign-request'];

export const ISSUER = 'https://id.abuse.example/';
export const AUDIENCE = 'oss-tvm-abuse';
/** A second configured audience (TVM_JWT_AUDIENCE takes several). */
export const OTHER_AUDIENCE = 'oss-tvm-abuse-web';
export const BUCKET = 'photos';
export const ORIGIN = 'https://app.example.com';
export const REQUEST_ID = 'abuse-request';

/** The scope configuration: what each scope grants, written out here so the oracles need no product code. */
export const SCOPES = {
  user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete'] },
  shared: { prefix: 'shared/', actions: ['read', 'list'] },
  'team_docs-2': { prefix: 'teams/${sub}/docs/', actions: ['read'] },
} as const;
export type ScopeName = keyof typeof SCOPES;
export const SCOPE_NAMES = Object.keys(SCOPES) as ScopeName[];
export const DEFAULT_SCOPE: ScopeName = 'user';
export const SKEW_SECONDS = 300;
/** The longest presigned URL: at most half the credential duration (3600 s by default). */
export const URL_TTL_SECONDS = 1800;
export const EXTRA_HEADERS = ['x-oss-forbid-overwrite'];

/** Identities the suite reuses for inputs that should be accepted, so STS answers come from the cache. */
export const POOL = ['alice', 'bob', 'auth0|5f7c8ec7c33c6c004bbafe82', 'u.ser_1@example.com', 'A-9', 'x'.repeat(64)];

/** The key prefix `scope` gives `identity`. */
export function prefixOf(scope: ScopeName, identity: string): string {
  return SCOPES[scope].prefix.replace('${sub}', identity);
}

/** Each documented refusal code and its status (README, "Errors" and sign-request's table). */
export const REFUSALS: Readonly<Partial<Record<ErrorCode, number>>> = {
  MalformedRequest: 400,
  MissingScope: 400,
  InvalidToken: 401,
  InvalidIdentity: 403,
  UnknownScope: 403,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  MalformedStringToSign: 400,
  VerbNotAllowed: 403,
  DateOutOfRange: 403,
  HeaderNotAllowed: 403,
  ResourceNotAllowed: 403,
  BucketNotAllowed: 403,
  ListingNotSignable: 403,
  KeyNotAllowed: 403,
  SubResourceNotAllowed: 403,
  OperationNotAllowed: 403,
  SecurityTokenMismatch: 409,
  SigningModeNotAllowed: 403,
  CredentialScopeMismatch: 403,
  RegionNotAllowed: 403,
  ProductNotAllowed: 403,
};

// ---------------------------------------------------------------------------------------------
// JWTs, signed by hand
// ---------------------------------------------------------------------------------------------

export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256' | 'HS384' | 'HS512';

export const b64url = (input: string | Uint8Array): string => Buffer.from(input).toString('base64url');

/** A compact JWS over any header and payload (objects are JSON-encoded, strings taken as they are). */
export function signJws(alg: JwsAlgorithm, key: KeyObject | string | Uint8Array, header: unknown, payload: unknown): string {
  const encode = (part: unknown) => b64url(typeof part === 'string' ? part : JSON.stringify(part));
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${jwsSignature(alg, key, input)}`;
}

function jwsSignature(alg: JwsAlgorithm, key: KeyObject | string | Uint8Array, input: string): string {
  const data = Buffer.from(input);
  switch (alg) {
    case 'HS256':
    case 'HS384':
    case 'HS512':
      return createHmac(`sha${alg.slice(2)}`, key as string | Uint8Array).update(data).digest('base64url');
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return cryptoSign(`sha${alg.slice(2)}`, data, key as KeyObject).toString('base64url');
    case 'PS256':
      return cryptoSign('sha256', data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64url');
    case 'ES256':
      return cryptoSign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    case 'EdDSA':
      return cryptoSign(null, data, key as KeyObject).toString('base64url');
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Claims the configuration accepts, for `sub`, issued at `now` (seconds) and valid for an hour; `extra` overrides (undefined removes). */
export function claimsFor(sub: unknown, extra: Record<string, unknown> = {}, now = nowSeconds()): Record<string, unknown> {
  const claims: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub, iat: now, exp: now + 3600, ...extra };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

/** The keys of the world: the trusted pair, and an attacker's keys of every kind. */
export interface Keys {
  readonly trusted: { readonly privateKey: KeyObject; readonly publicPem: string; readonly publicJwk: Record<string, unknown>; readonly publicDer: Buffer };
  readonly attackerRsa: { readonly privateKey: KeyObject; readonly publicJwk: Record<string, unknown> };
  readonly attackerEc: KeyObject;
  readonly attackerEd: KeyObject;
}

/**
 * The keys, generated once per worker process and shared by the worlds of the files it runs (RSA
 * key generation costs more than a world's other setup); each world still has its own STS,
 * handlers and tokens.
 */
let keysOfThisProcess: Keys | undefined;
function sharedKeys(): Keys {
  keysOfThisProcess ??= makeKeys();
  return keysOfThisProcess;
}

function makeKeys(): Keys {
  const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    trusted: {
      privateKey: trusted.privateKey,
      publicPem: trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      publicJwk: trusted.publicKey.export({ format: 'jwk' }) as Record<string, unknown>,
      publicDer: trusted.publicKey.export({ type: 'spki', format: 'der' }),
    },
    attackerRsa: { privateKey: attacker.privateKey, publicJwk: attacker.publicKey.export({ format: 'jwk' }) as Record<string, unknown> },
    attackerEc: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    attackerEd: generateKeyPairSync('ed25519').privateKey,
  };
}

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

export interface World {
  readonly sts: StsEmulator;
  /** The handlers' clock (whole seconds, fixed for the suite, so date windows are exact). */
  readonly now: number;
  readonly context: FcContext;
  readonly keys: Keys;
  /** Handlers with a default scope (`user`). */
  readonly handlers: Readonly<Record<FunctionName, FcHttpHandler>>;
  /** Handlers of the same configuration without TVM_DEFAULT_SCOPE: a request must name its scope. */
  readonly noDefault: Readonly<Record<FunctionName, FcHttpHandler>>;
  /** A valid token for a pooled identity (made once). */
  tokenFor(identity: string): string;
  /** A token signed by the trusted key with otherwise valid claims for `sub` (any value; `undefined`: no sub claim), remembered as such. */
  signedFor(sub: unknown, extraClaims?: Record<string, unknown>, header?: Record<string, unknown>): string;
  /** What the test knows of a token: made by {@link tokenFor} or {@link signedFor}, with its `sub`. */
  knows(token: string): { readonly sub: unknown } | undefined;
  /**
   * The security token sign-request currently signs with for a pooled identity and a scope (learnt
   * by a first signature), in the handlers with a default scope or (`noDefault`) in the others,
   * which have their own credential cache; undefined for other identities.
   */
  currentToken(identity: string, scope: ScopeName, handlers?: 'default' | 'noDefault'): string | undefined;
  /** Every secret that must never appear in a refusal or a log: function credentials, issued secrets and tokens. */
  secrets(): ReadonlySet<string>;
  /** Log lines that held something they must not (a JWT, a token, a signature) or reported an unexpected failure. */
  readonly logProblems: string[];
  /** Log lines written. */
  readonly logCount: () => number;
}

export function environmentFor(sts: StsEmulator, keys: Keys, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const environment: Record<string, string | undefined> = {
    TVM_ROLE_ARN: sts.defaultRoleArn,
    TVM_BUCKET: BUCKET,
    TVM_REGION: 'cn-hangzhou',
    TVM_STS_ENDPOINT: sts.url,
    TVM_JWT_ISSUER: ISSUER,
    TVM_JWT_AUDIENCE: `${AUDIENCE},${OTHER_AUDIENCE}`,
    TVM_JWT_PUBLIC_KEY: keys.trusted.publicPem,
    TVM_SCOPES: JSON.stringify(SCOPES),
    TVM_DEFAULT_SCOPE: DEFAULT_SCOPE,
    TVM_CORS_ALLOWED_ORIGINS: ORIGIN,
    TVM_SIGN_EXTRA_HEADERS: EXTRA_HEADERS.join(','),
    TVM_SIGN_MAX_URL_TTL_SECONDS: String(URL_TTL_SECONDS),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const LOG_FORBIDDEN = /eyJ[A-Za-z0-9_-]{10,}|CAIS|OSS STS\.|AccessKeySecret|"SecurityToken"/;

async function startWorld(): Promise<{ world: World; close: () => Promise<void> }> {
  const sts = await StsEmulator.start();
  const keys = sharedKeys();
  const now = Math.floor(Date.now() / 1000) * 1000;
  const functionCredentials = sts.createFunctionCredentials();
  const context: FcContext = { requestId: REQUEST_ID, credentials: functionCredentials };
  const logProblems: string[] = [];
  let logCount = 0;
  const logger = createLogger((line) => {
    logCount++;
    if (LOG_FORBIDDEN.test(line) || line.includes('"level":"error"')) logProblems.push(line.slice(0, 300));
  });
  const options = { logger, now: () => now };
  const environment = environmentFor(sts, keys);
  const withoutDefault = environmentFor(sts, keys, { TVM_DEFAULT_SCOPE: undefined });
  const handlers = { 'vend-token': createVendTokenHandler(environment, options), 'sign-request': createSignRequestHandler(environment, options) };
  const noDefault = { 'vend-token': createVendTokenHandler(withoutDefault, options), 'sign-request': createSignRequestHandler(withoutDefault, options) };

  const tokens = new Map<string, string>();
  const known = new Map<string, { sub: unknown }>();
  // RSA signing costs far more than a run: a token is made once per input, which many runs share.
  // Its time claims are the world's clock (the handlers' `now`), so they do not change the input.
  const signed = new Map<string, string>();
  const signedFor = (sub: unknown, extraClaims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string => {
    const claims = claimsFor(sub, extraClaims, now / 1000);
    const key = JSON.stringify([typeof sub, claims, header]);
    let token = signed.get(key);
    if (token === undefined) {
      token = signJws('RS256', keys.trusted.privateKey, { alg: 'RS256', typ: 'JWT', ...header }, claims);
      signed.set(key, token);
      known.set(token, { sub });
    }
    return token;
  };
  const tokenFor = (identity: string): string => {
    let token = tokens.get(identity);
    if (token === undefined) {
      token = signedFor(identity);
      tokens.set(identity, token);
    }
    return token;
  };

  // Learn the token sign-request signs with for each pooled identity and scope. The handlers' clock
  // is fixed and STS issues an hour from real time, so the cached credentials never age out (nor
  // does a presigned URL within the TTL outlive them): each token stays current for the suite.
  const current = new Map<string, string>();
  for (const set of ['default', 'noDefault'] as const) {
    for (const [identity, scope] of POOL.flatMap((who) => SCOPE_NAMES.map((name) => [who, name] as const))) {
      const content = `GET\n\n\n${new Date(now).toUTCString()}\n/${BUCKET}/${prefixOf(scope, identity)}warm-up`;
      const event = Buffer.from(JSON.stringify({
        headers: { authorization: `Bearer ${tokenFor(identity)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ stringToSign: content, scope }),
        requestContext: { http: { method: 'POST', path: '/' } },
      }));
      const response = await (set === 'default' ? handlers : noDefault)['sign-request'](event, context);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      if (response.statusCode !== 200 || typeof body['SecurityToken'] !== 'string') throw new Error(`warm-up failed for ${identity}/${scope}: ${response.body}`);
      current.set(`${set}\n${identity}\n${scope}`, body['SecurityToken']);
    }
  }

  const secrets = new Set<string>([functionCredentials.accessKeySecret, functionCredentials.securityToken]);
  let secretsAt = -1;
  const world: World = {
    sts,
    now,
    context,
    keys,
    handlers,
    noDefault,
    tokenFor,
    signedFor,
    knows: (token) => known.get(token),
    currentToken: (identity, scope, set = 'default') => current.get(`${set}\n${identity}\n${scope}`),
    secrets() {
      if (secretsAt !== sts.successfulCalls) {
        secretsAt = sts.successfulCalls;
        for (const record of sts.records) secrets.add(record.issued.accessKeySecret).add(record.issued.securityToken);
      }
      return secrets;
    },
    logProblems,
    logCount: () => logCount,
  };
  return { world, close: () => sts.close() };
}

/**
 * Registers the world for a test file: started before its tests, closed after, and with
 * `unhandledRejection` / `uncaughtException` watched for the whole file (none may happen).
 */
export function useWorld(): () => World {
  let started: { world: World; close: () => Promise<void> } | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onRejection);
    started = await startWorld();
  }, 60_000);
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onRejection);
    await started?.close();
    expect(rejections, 'no unhandled rejection or uncaught exception during the file').toEqual([]);
    if (started) {
      expect(started.world.logProblems, 'log lines holding a secret or reporting an unexpected failure').toEqual([]);
      expect(started.world.logCount()).toBeGreaterThan(0);
    }
  });
  return () => {
    if (started === undefined) throw new Error('the world is not started');
    return started.world;
  };
}

// ---------------------------------------------------------------------------------------------
// Calling a handler, and what every answer must look like
// ---------------------------------------------------------------------------------------------

/** What the oracle says a response must be. */
export type Verdict =
  /** A 200, for an input the test knows to be valid. */
  | { readonly kind: 'accept'; readonly identity: string; readonly scope: ScopeName; readonly signedString?: string; readonly mode?: 'text' | 'json' | 'session'; readonly v4?: V4Expectation }
  /** A 4xx whose code is one of `codes` (every problem the input has; the order they are checked in is not the contract). */
  | { readonly kind: 'refuse'; readonly codes: ReadonlySet<ErrorCode> }
  /** The preflight answer (OPTIONS): 204, no body. */
  | { readonly kind: 'preflight' }
  /** A token that decodes to the bytes of a valid one: 200 as `accept`, or 401. */
  | { readonly kind: 'either'; readonly accept: Extract<Verdict, { kind: 'accept' }> };

export const refuse = (...codes: ErrorCode[]): Verdict => ({ kind: 'refuse', codes: new Set(codes) });

/** What a V4 signature must be: over `stringToSign`, with the scope's `date` (a remote signer's reply), and the Authorization value when the canonical request was sent. */
export interface V4Expectation {
  readonly stringToSign: string;
  readonly date: string;
  readonly authorization?: { readonly additionalHeaders: readonly string[] };
}

/** Calls `handler` and fails the property if it rejects. */
export async function invoke(handler: FcHttpHandler, event: unknown, context: FcContext): Promise<HttpResponse> {
  const outcome = await handler(event, context).then(
    (response) => ({ response }),
    (error: unknown) => ({ error }),
  );
  if ('error' in outcome) throw new Error(`the handler rejected: ${String(outcome.error)}`);
  return outcome.response;
}

/** Tallies of what a property saw, to show it is not vacuous. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  toString(): string {
    return [...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, count]) => `${key}=${count}`).join(' ');
  }
}

const SUCCESS_TEXT = /^OSS (STS\.[A-Za-z0-9]+):([A-Za-z0-9+/]+=*)$/;
const STACK_TRACE = /\n\s+at |\.ts:\d+|node:internal|TypeError|RangeError|SyntaxError/;
const ERROR_KEYS = 'ErrorCode,ErrorMessage,RequestId,StatusCode';
const MISMATCH_KEYS = 'ErrorCode,ErrorMessage,RequestId,SecurityToken,StatusCode';
/** A 409 for a request the client built itself names the current AccessKeyId too. */
const STALE_KEYS = 'AccessKeyId,ErrorCode,ErrorMessage,RequestId,SecurityToken,StatusCode';
/** …and, for scoped credentials, their session ticket. */
const TICKETED_KEYS = 'AccessKeyId,ErrorCode,ErrorMessage,RequestId,SecurityToken,SessionTicket,StatusCode';
const TICKET = /^t1\.[A-Za-z0-9_-]+$/;
const DATE_KEYS = 'ErrorCode,ErrorMessage,RequestId,ServerTime,StatusCode';

/** A failed check: the property fails with what was wrong and the input. */
class AbuseFailure extends Error {
  override readonly name = 'AbuseFailure';
}

/**
 * Asserts what every response must be, and what `verdict` says this one must be. Returns the
 * outcome's tally key (`200`, `204` or the error code). The checks are plain comparisons (the
 * message is built only on failure), so ten thousand runs stay fast.
 */
export function checkResponse(world: World, fn: FunctionName, response: HttpResponse, verdict: Verdict, describe: () => string): string {
  const check = (ok: boolean, message: string): void => {
    if (ok) return;
    const shown = JSON.stringify(verdict, (_key, value: unknown) => (value instanceof Set ? [...value] : value));
    throw new AbuseFailure(`${message}\n  function: ${fn}\n  verdict: ${shown}\n  status: ${response?.statusCode}\n  headers: ${JSON.stringify(response?.headers)}\n  body: ${String(response?.body).slice(0, 400)}\n  input: ${describe().slice(0, 1500)}`);
  };
  check(typeof response === 'object' && response !== null, 'the response is an object');
  check(Number.isInteger(response.statusCode), 'an integer status');
  check(response.statusCode < 500, 'never a 5xx');
  check(typeof response.body === 'string', 'a string body');
  check(response.isBase64Encoded === false, 'a plain body');
  check(Object.values(response.headers).every((value) => typeof value === 'string'), 'string headers');
  const headerNames = Object.keys(response.headers).map((name) => name.toLowerCase());

  if (response.statusCode === 200) {
    const accept = verdict.kind === 'accept' ? verdict : verdict.kind === 'either' ? verdict.accept : undefined;
    check(accept !== undefined, 'a 200 only for an input the test knows to be valid');
    checkSuccess(world, fn, response, accept as Extract<Verdict, { kind: 'accept' }>, check);
    return '200';
  }
  if (response.statusCode === 204) {
    check(verdict.kind === 'preflight', 'a 204 only for a preflight');
    check(response.body === '', 'an empty preflight body');
    check(!headerNames.includes('x-oss-security-token'), 'no token on a preflight');
    return '204';
  }
  check(response.statusCode >= 400, 'a 4xx');
  check(verdict.kind === 'refuse' || verdict.kind === 'either', `a refusal for an input the test expected to be ${verdict.kind === 'preflight' ? 'a preflight' : 'accepted'}`);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    check(false, 'a JSON error body');
  }
  const code = body['ErrorCode'] as ErrorCode;
  const mismatch = code === 'SecurityTokenMismatch';
  const dated = code === 'DateOutOfRange';
  const keys = Object.keys(body).sort().join(',');
  check(mismatch ? keys === MISMATCH_KEYS || keys === STALE_KEYS || keys === TICKETED_KEYS : keys === (dated ? DATE_KEYS : ERROR_KEYS), 'the documented error body {StatusCode, ErrorCode, ErrorMessage, RequestId}');
  if (keys === TICKETED_KEYS) check(TICKET.test(String(body['SessionTicket'])), 'a session ticket with the current credentials');
  if (keys === STALE_KEYS || keys === TICKETED_KEYS) check(world.sts.findIssued(String(body['AccessKeyId']))?.issued.securityToken === body['SecurityToken'], 'the 409 names the AccessKeyId of the token it gives');
  if (dated) {
    // The server time a client corrects its clock by: the handlers' clock, in the body and the Date header.
    check(body['ServerTime'] === new Date(world.now).toISOString().replace('.000Z', 'Z'), 'ServerTime is the server clock, yyyy-MM-ddTHH:mm:ssZ');
    check(response.headers['Date'] === new Date(world.now).toUTCString(), 'the Date header is the server clock');
  }
  check(body['StatusCode'] === response.statusCode, 'StatusCode is the HTTP status');
  check(REFUSALS[code] === response.statusCode, `a documented code with its status (${code})`);
  check(body['RequestId'] === REQUEST_ID, 'the request id');
  check(typeof body['ErrorMessage'] === 'string' && body['ErrorMessage'] !== '', 'a message');
  check(!STACK_TRACE.test(response.body), 'no stack trace');
  if (verdict.kind === 'refuse') check(verdict.codes.has(code), `the code (${code}) names a problem the input has`);
  else check(code === 'InvalidToken', 'a token of the same bytes is either accepted or refused as a token');
  if (code === 'InvalidToken') check(response.headers['WWW-Authenticate'] === 'Bearer error="invalid_token"', 'the bearer challenge');

  // Nothing of a credential or a signature in a refusal; the one exception is 409, which gives the
  // caller (authenticated and authorized for this very content) its current token by design.
  check(!/OSS STS\.|OSS [A-Za-z0-9]+:/.test(response.body), 'no signature in a refusal');
  check(!response.body.includes('AccessKeySecret'), 'no secret in a refusal');
  check(!headerNames.includes('x-tvm-credentials-expiration'), 'no expiry header in a refusal');
  if (mismatch) {
    check(response.statusCode === 409, '409 for a token mismatch');
    check(response.headers['x-oss-security-token'] === body['SecurityToken'], 'the 409 token header is the body token');
  } else {
    check(!headerNames.includes('x-oss-security-token'), 'no token header in a refusal');
    check(!/SecurityToken|CAIS/.test(response.body), 'no SecurityToken in a refusal');
  }
  const headerValues = Object.values(response.headers).join('\n');
  for (const secret of world.secrets()) {
    if (mismatch && secret === body['SecurityToken']) continue;
    check(!response.body.includes(secret) && !headerValues.includes(secret), 'a refusal carries a credential');
  }
  return code;
}

function checkSuccess(world: World, fn: FunctionName, response: HttpResponse, accept: Extract<Verdict, { kind: 'accept' }>, check: (ok: boolean, message: string) => void): void {
  const prefix = prefixOf(accept.scope, accept.identity);
  const resource = `"acs:oss:*:*:${BUCKET}/${prefix}*"`;
  check(response.headers['Cache-Control'] === 'no-store', 'no-store');
  if (fn === 'vend-token') {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    check(body['StatusCode'] === 200 && body['Scope'] === accept.scope && body['Prefix'] === prefix && body['Bucket'] === BUCKET, 'the credentials body for the expected scope and prefix');
    const issued = world.sts.findIssued(String(body['AccessKeyId']));
    check(issued !== undefined && issued.issued.accessKeySecret === body['AccessKeySecret'] && issued.issued.securityToken === body['SecurityToken'], 'credentials STS issued');
    check(issued?.policy?.includes(resource) === true, 'issued for the caller\'s own prefix');
    check(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(String(body['Expiration'])), 'Expiration without milliseconds');
    return;
  }
  if (accept.mode === 'session') {
    checkSession(world, response, accept, resource, check);
    return;
  }
  if (accept.v4 !== undefined) {
    checkV4Signature(world, response, accept.v4, resource, check);
    return;
  }
  let authorization: string;
  let token: string | undefined;
  if (accept.mode === 'json') {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    authorization = String(body['Authorization']);
    token = body['SecurityToken'] as string | undefined;
    if (accept.signedString !== undefined) check(body['SignedString'] === accept.signedString, 'the signed string');
  } else {
    authorization = response.body;
    token = response.headers['x-oss-security-token'];
    check(response.headers['Content-Type']?.startsWith('text/plain') === true, 'text/plain');
  }
  const match = SUCCESS_TEXT.exec(authorization);
  check(match !== null, 'OSS <AccessKeyId>:<signature>');
  const issued = world.sts.findIssued(match?.[1] ?? '');
  check(issued?.policy?.includes(resource) === true, 'signed with credentials scoped to the caller\'s own prefix');
  check(token !== undefined && token === issued?.issued.securityToken, 'the token of the signing credentials');
  if (accept.signedString !== undefined) {
    const expected = createHmac('sha1', issued?.issued.accessKeySecret ?? '').update(accept.signedString, 'utf8').digest('base64');
    check(match?.[2] === expected, 'the signature covers exactly the expected content');
  }
}

/** A signing session: the caller's own scoped credentials' AccessKeyId and token, where to sign, and never the secret. */
function checkSession(world: World, response: HttpResponse, accept: Extract<Verdict, { kind: 'accept' }>, resource: string, check: (ok: boolean, message: string) => void): void {
  const body = JSON.parse(response.body) as Record<string, unknown>;
  check(Object.keys(body).join(',') === 'StatusCode,AccessKeyId,SecurityToken,Expiration,Region,Bucket,Endpoint,Prefix,ServerTime,SessionTicket', 'the session body, in order');
  check(TICKET.test(String(body['SessionTicket'])), 'a session ticket');
  const issued = world.sts.findIssued(String(body['AccessKeyId']));
  check(issued?.policy?.includes(resource) === true, 'the session names credentials scoped to the caller\'s own prefix');
  check(issued?.issued.securityToken === body['SecurityToken'] && body['SecurityToken'] === world.currentToken(accept.identity, accept.scope), 'the current token of the caller\'s credentials');
  check(body['Bucket'] === BUCKET && body['Region'] === 'cn-hangzhou' && body['Prefix'] === prefixOf(accept.scope, accept.identity), 'bucket, region and prefix');
  check(body['ServerTime'] === new Date(world.now).toISOString().replace('.000Z', 'Z') && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(String(body['Expiration'])), 'server time and expiry, yyyy-MM-ddTHH:mm:ssZ');
  check(!response.body.includes(issued?.issued.accessKeySecret ?? '\u0000'), 'never the secret in the clear');
}

/** A V4 reply: the signature ali-oss computes with the secret STS issued for the caller's own scope, and the token of those credentials. */
function checkV4Signature(world: World, response: HttpResponse, expected: V4Expectation, resource: string, check: (ok: boolean, message: string) => void): void {
  const body = JSON.parse(response.body) as Record<string, unknown>;
  const canonical = expected.authorization !== undefined;
  check(Object.keys(body).join(',') === (canonical ? 'StatusCode,signature,Authorization,StringToSign,SecurityToken,Expiration' : 'StatusCode,signature,SecurityToken,Expiration'), 'the V4 reply body, in order');
  const token = String(body['SecurityToken']);
  const issued = world.sts.records.find((record) => record.issued.securityToken === token);
  check(issued?.policy?.includes(resource) === true, 'signed with credentials scoped to the caller\'s own prefix');
  const signature = aliOssV4.getSignatureV4(issued?.issued.accessKeySecret ?? '', expected.date, 'cn-hangzhou', expected.stringToSign);
  check(body['signature'] === signature, 'the signature ali-oss computes over the expected string to sign');
  if (expected.authorization !== undefined) {
    const additional = expected.authorization.additionalHeaders.length > 0 ? `,AdditionalHeaders=${expected.authorization.additionalHeaders.join(';')}` : '';
    check(body['StringToSign'] === expected.stringToSign, 'the string to sign');
    check(body['Authorization'] === `OSS4-HMAC-SHA256 Credential=${issued?.issued.accessKeyId}/${expected.date}/cn-hangzhou/oss/aliyun_v4_request${additional},Signature=${signature}`, 'the Authorization value');
  }
}
