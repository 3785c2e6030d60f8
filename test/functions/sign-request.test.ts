/**
 * sign-request end to end: FC 3.0 HTTP events into the real handler, which authenticates with jose,
 * parses and authorizes the string-to-sign, gets its signing credentials from the STS emulator over
 * loopback HTTP (scoped mode) or from the FC context (function mode), binds the security token and
 * signs. Every signature is checked independently with node:crypto and the secret the credentials
 * really have; ali-oss (the reference client) confirms where the token goes in the content.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSignRequestFunction } from '../../functions/sign-request/create-handler';
import type { FcContext, FcHttpHandler } from '../../shared/http/fc-event';
import type { HttpResponse } from '../../shared/http/message';
import { createLogger } from '../../shared/log';
import { StsClient } from '../../shared/sts/sts-client';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { type TestRequest, bearer, httpEvent, jsonBody } from '../helpers/fc-events';
import { served } from '../helpers/adapters';
import { functionEnvironment } from '../helpers/function-environment';

/** The part of ali-oss that builds a V1 string-to-sign the way the SDK sends the request. */
interface AliOssSignUtils {
  buildCanonicalString(method: string, resourcePath: string, request: { headers: Record<string, string>; parameters?: Record<string, string> }, expires?: string): string;
}
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as AliOssSignUtils;

type Credentials = { accessKeyId: string; accessKeySecret: string; securityToken?: string };

let sts: StsEmulator;
/** Every emulator of this file, to find what any of them issued. */
const emulators: StsEmulator[] = [];
let issuer: DemoIssuer;
let functionCredentials: Required<Credentials>;
const logLines: string[] = [];
const secretsSeen = new Set<string>();
const signaturesSeen = new Set<string>();

const SCOPES = JSON.stringify({ user: { prefix: 'users/${sub}/', actions: ['read', 'write'] }, shared: { prefix: 'shared/', actions: ['read'] } });
const AUTHORIZATION = /^OSS (STS\.[^:]+):([A-Za-z0-9+/]+=*)$/;

function environment(overrides: Record<string, string> = {}): Record<string, string> {
  return functionEnvironment(sts, issuer, overrides);
}

/** A handler with a fast-failing STS client, logging into {@link logLines} (and `lines`). */
function handlerFor(overrides: Record<string, string> = {}, options: { now?: () => number; lines?: string[]; sts?: StsEmulator } = {}): FcHttpHandler {
  const emulator = options.sts ?? sts;
  return served('sign-request', createSignRequestFunction(environment({ TVM_STS_ENDPOINT: emulator.url, TVM_ROLE_ARN: emulator.defaultRoleArn, ...overrides }), {
    logger: createLogger((line) => {
      logLines.push(line);
      options.lines?.push(line);
    }),
    sts: new StsClient({ endpoint: emulator.url, attemptTimeoutMs: 300, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1200 } }),
    ...(options.now ? { now: options.now } : {}),
  }));
}

async function tokenFor(subject: string): Promise<string> {
  const token = await issuer.issue(subject);
  secretsSeen.add(token);
  return token;
}

/** An RFC 1123 date as the SDKs put on the Date line. */
const rfc1123 = (ms: number): string => new Date(ms).toUTCString();

/** A PutObject string-to-sign as the Android SDK builds it for `users/<user>/a.jpg`. */
function putContent(user: string, now = Date.now()): string {
  return `PUT\n\nimage/jpeg\n${rfc1123(now)}\nx-oss-meta-owner:${user}\n/photos/users/${user}/a.jpg`;
}

/** {@link putContent} with the token line where OSS expects it (written out by hand, not by the code under test). */
function putContentWithToken(user: string, now: number, token: string): string {
  return `PUT\n\nimage/jpeg\n${rfc1123(now)}\nx-oss-meta-owner:${user}\nx-oss-security-token:${token}\n/photos/users/${user}/a.jpg`;
}

/** A presigned GET string-to-sign: the Date line is the URL's Expires, in seconds. */
function presignedContent(user: string, expires: number, subresources = ''): string {
  return `GET\n\n\n${expires}\n/photos/users/${user}/a.jpg${subresources}`;
}

const v1Signature = (secret: string, content: string): string => createHmac('sha1', secret).update(content, 'utf8').digest('base64');

interface SignOptions {
  readonly mode?: 'text' | 'json';
  readonly scope?: string;
  /** The FC context credentials; default the function role's STS credentials. */
  readonly credentials?: Credentials | null;
  readonly request?: TestRequest;
}

/** Posts `content` to sign-request as `subject` (text mode unless told) and remembers every secret in the reply. */
async function sign(handler: FcHttpHandler, subject: string, content: string, options: SignOptions = {}): Promise<HttpResponse> {
  const token = await tokenFor(subject);
  const json = options.mode === 'json';
  const body = json ? JSON.stringify({ stringToSign: content, ...(options.scope === undefined ? {} : { scope: options.scope }) }) : content;
  const request: TestRequest = {
    method: 'POST',
    body,
    ...(!json && options.scope !== undefined ? { query: { scope: options.scope } } : {}),
    ...options.request,
    headers: { ...bearer(token), 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8', ...options.request?.headers },
  };
  const credentials = options.credentials === undefined ? functionCredentials : options.credentials;
  const context: FcContext = { requestId: `req-${subject}`, ...(credentials === null ? {} : { credentials }) };
  const response = await handler(httpEvent(request), context);
  remember(response);
  return response;
}

function remember(response: HttpResponse): void {
  const token = response.headers['x-oss-security-token'];
  if (token) secretsSeen.add(token);
  if (response.headers['Content-Type']?.startsWith('application/json')) {
    const body = jsonBody(response);
    if (typeof body['SecurityToken'] === 'string') secretsSeen.add(body['SecurityToken']);
    if (typeof body['Authorization'] === 'string') rememberAuthorization(body['Authorization']);
  } else if (response.statusCode === 200) {
    rememberAuthorization(response.body);
  }
}

function rememberAuthorization(authorization: string): void {
  signaturesSeen.add(authorization.slice(authorization.indexOf(':') + 1));
  const issued = findIssued(authorization.slice('OSS '.length, authorization.indexOf(':')));
  if (issued) {
    secretsSeen.add(issued.issued.accessKeySecret);
    secretsSeen.add(issued.issued.securityToken);
  }
}

function findIssued(accessKeyId: string): ReturnType<StsEmulator['findIssued']> {
  return emulators.map((emulator) => emulator.findIssued(accessKeyId)).find((record) => record !== undefined);
}

/** The AccessKeyId and signature of an Authorization value. */
function authorizationOf(value: string): { accessKeyId: string; signature: string } {
  const match = AUTHORIZATION.exec(value) ?? /^OSS ([^:]+):(.+)$/.exec(value);
  expect(match, `not an OSS Authorization value: ${value}`).not.toBeNull();
  return { accessKeyId: match?.[1] ?? '', signature: match?.[2] ?? '' };
}

function userPolicy(user: string): unknown {
  return {
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'], Resource: [`acs:oss:*:*:photos/users/${user}/*`] }],
  };
}

beforeAll(async () => {
  sts = await StsEmulator.start();
  emulators.push(sts);
  issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-test');
  functionCredentials = sts.createFunctionCredentials();
  secretsSeen.add(functionCredentials.accessKeySecret);
  secretsSeen.add(functionCredentials.securityToken);
});

afterEach(() => sts.setFault(null));

afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()));
});

/**
 * A handler and an STS emulator on clocks the test moves: the handler's judges the cache and the
 * Date line; STS's the expiry of what it issues (kept within STS's 15-minute window for request
 * timestamps, so STS's only runs ahead of real time by `advance(…, stsLeadMs)`).
 */
async function timeTravel(overrides: Record<string, string> = {}) {
  let clock = Date.now();
  let stsLeadMs = 0;
  const ownSts = await StsEmulator.start({ now: () => Date.now() + stsLeadMs });
  emulators.push(ownSts);
  const credentials = ownSts.createFunctionCredentials();
  secretsSeen.add(credentials.accessKeySecret).add(credentials.securityToken);
  return {
    handler: handlerFor(overrides, { now: () => clock, sts: ownSts }),
    sts: ownSts,
    credentials,
    now: () => clock,
    advance(handlerMs: number, leadMs: number): void {
      clock += handlerMs;
      stsLeadMs = leadMs;
    },
  };
}

describe('sign-request', () => {
  describe('text mode (the SDK callback), scoped credentials', () => {
    it('answers exactly "OSS <AccessKeyId>:<signature>" as text/plain, with the token and its expiry in headers', async () => {
      // Prepare
      const handler = handlerFor();
      const content = putContent('alice');

      // Act
      const response = await sign(handler, 'alice', content);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.body).toMatch(/^OSS STS\.[^:]+:[A-Za-z0-9+/]+=*$/);
      expect(response.body).not.toMatch(/\s$/);
      expect(response.isBase64Encoded).toBe(false);
      expect(response.headers['Content-Type']).toBe('text/plain; charset=utf-8');
      expect(response.headers['Cache-Control']).toBe('no-store');
      const { accessKeyId } = authorizationOf(response.body);
      const issued = sts.findIssued(accessKeyId);
      expect(issued).toBeDefined();
      expect(response.headers['x-oss-security-token']).toBe(issued?.issued.securityToken);
      expect(response.headers['x-tvm-credentials-expiration']).toBe(issued?.issued.expiration);
      expect(response.headers['x-tvm-credentials-expiration']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });

    it('signs the content with the token line inserted, with the secret STS issued for the caller’s own session policy', async () => {
      // Prepare
      const handler = handlerFor();
      const now = Date.now();

      // Act
      const response = await sign(handler, 'bob', putContent('bob', now));

      // Assess: recompute the signature with the issued secret over the content with the token line.
      const { accessKeyId, signature } = authorizationOf(response.body);
      const record = sts.findIssued(accessKeyId);
      const token = record?.issued.securityToken ?? '';
      expect(token).not.toBe('');
      const expected = putContentWithToken('bob', now, token);
      expect(signature).toBe(v1Signature(record?.issued.accessKeySecret ?? '', expected));
      // ali-oss, sending the same PutObject with the token header, builds the same string-to-sign.
      const reference = aliOss.buildCanonicalString('PUT', '/photos/users/bob/a.jpg', { headers: { 'Content-Type': 'image/jpeg', 'x-oss-meta-owner': 'bob', 'x-oss-security-token': token } }, rfc1123(now));
      expect(reference).toBe(expected);
      // The signing credentials are limited to bob's prefix, by the role the function assumed.
      expect(JSON.parse(record?.policy ?? '{}')).toEqual(userPolicy('bob'));
      expect(record).toMatchObject({ roleArn: sts.defaultRoleArn, roleSessionName: 'bob', callerAccessKeyId: functionCredentials.accessKeyId, durationSeconds: 3600 });
    });

    it('signs a content that already carries the current token unchanged', async () => {
      const handler = handlerFor();
      const now = Date.now();
      const first = await sign(handler, 'carla', putContent('carla', now));
      const token = first.headers['x-oss-security-token'] ?? '';
      const content = putContentWithToken('carla', now, token);

      const again = await sign(handler, 'carla', content, { mode: 'json' });

      expect(again.statusCode).toBe(200);
      const body = jsonBody(again);
      expect(body['SignedString']).toBe(content);
      expect(body['SecurityToken']).toBe(token);
      expect(body['Authorization']).toBe(first.body);
    });

    it('inserts the token line among other x-oss headers in sorted order', async () => {
      const handler = handlerFor();
      const now = Date.now();
      const date = rfc1123(now);
      const content = `PUT\n\nimage/jpeg\n${date}\nx-oss-date:${date}\nx-oss-meta-a:1\nx-oss-traffic-limit:819200\n/photos/users/dina/a.jpg`;

      const response = await sign(handler, 'dina', content, { mode: 'json' });

      const body = jsonBody(response);
      const token = body['SecurityToken'] as string;
      expect(body['SignedString']).toBe(`PUT\n\nimage/jpeg\n${date}\nx-oss-date:${date}\nx-oss-meta-a:1\nx-oss-security-token:${token}\nx-oss-traffic-limit:819200\n/photos/users/dina/a.jpg`);
      expect(body['SignedString']).toBe(
        aliOss.buildCanonicalString('PUT', '/photos/users/dina/a.jpg', { headers: { 'content-type': 'image/jpeg', 'x-oss-date': date, 'x-oss-meta-a': '1', 'x-oss-traffic-limit': '819200', 'x-oss-security-token': token } }, date),
      );
    });
  });

  describe('JSON mode', () => {
    it('answers {StatusCode, Authorization, SecurityToken, Expiration, SignedString}, the signed string holding the token line', async () => {
      // Prepare
      const handler = handlerFor();
      const now = Date.now();

      // Act
      const response = await sign(handler, 'erik', putContent('erik', now), { mode: 'json' });

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers['Content-Type']).toMatch(/^application\/json/);
      expect(response.headers['Cache-Control']).toBe('no-store');
      const body = jsonBody(response);
      expect(Object.keys(body)).toEqual(['StatusCode', 'Authorization', 'SecurityToken', 'Expiration', 'SignedString']);
      expect(body['StatusCode']).toBe(200);
      const { accessKeyId, signature } = authorizationOf(body['Authorization'] as string);
      const record = sts.findIssued(accessKeyId);
      expect(body['SecurityToken']).toBe(record?.issued.securityToken);
      expect(body['Expiration']).toBe(record?.issued.expiration);
      expect(body['SignedString']).toBe(putContentWithToken('erik', now, record?.issued.securityToken ?? ''));
      expect(signature).toBe(v1Signature(record?.issued.accessKeySecret ?? '', body['SignedString'] as string));
    });

    it('adds the security-token sub-resource to a presigned URL’s content (numeric Expires)', async () => {
      const handler = handlerFor();
      const expires = Math.floor(Date.now() / 1000) + 600;

      const plain = jsonBody(await sign(handler, 'fay', presignedContent('fay', expires), { mode: 'json' }));
      const withOverride = jsonBody(await sign(handler, 'fay', presignedContent('fay', expires, '?response-content-type=image/png'), { mode: 'json' }));

      const token = plain['SecurityToken'] as string;
      const record = sts.findIssued(authorizationOf(plain['Authorization'] as string).accessKeyId);
      expect(plain['SignedString']).toBe(`GET\n\n\n${expires}\n/photos/users/fay/a.jpg?security-token=${token}`);
      expect(withOverride['SignedString']).toBe(`GET\n\n\n${expires}\n/photos/users/fay/a.jpg?response-content-type=image/png&security-token=${token}`);
      expect(withOverride['SignedString']).toBe(
        aliOss.buildCanonicalString('GET', '/photos/users/fay/a.jpg', { headers: {}, parameters: { 'security-token': token, 'response-content-type': 'image/png' } }, String(expires)),
      );
      for (const body of [plain, withOverride]) {
        expect(authorizationOf(body['Authorization'] as string).signature).toBe(v1Signature(record?.issued.accessKeySecret ?? '', body['SignedString'] as string));
        expect(body['SignedString']).not.toContain('x-oss-security-token');
      }
    });

    it('signs a presigned URL with cached credentials that outlive it, renews them when they would not, and refuses a URL beyond the maximum TTL before STS', async () => {
      // Prepare: cached credentials (60 minutes), then the clocks move 15 minutes on: 45 left.
      const { handler, credentials, now, advance, sts: ownSts } = await timeTravel();
      const first = jsonBody(await sign(handler, 'gus', putContent('gus', now()), { mode: 'json', credentials }));
      const firstKey = authorizationOf(first['Authorization'] as string).accessKeyId;
      advance(15 * 60_000, 14 * 60_000);
      const urlFor = (minutes: number): string => presignedContent('gus', Math.floor(now() / 1000) + minutes * 60);
      const callsBefore = ownSts.assumeRoleCalls;

      // Act: a URL of the maximum TTL (30 minutes, half the duration): covered by the cached credentials.
      const covered = jsonBody(await sign(handler, 'gus', urlFor(30), { mode: 'json', credentials }));
      // 20 minutes on, 25 are left: the same URL needs new credentials.
      advance(20 * 60_000, 14 * 60_000);
      const renewed = jsonBody(await sign(handler, 'gus', urlFor(30), { mode: 'json', credentials }));
      const tooLong = await sign(handler, 'gus', urlFor(31), { mode: 'json', credentials });

      // Assess
      expect(authorizationOf(covered['Authorization'] as string).accessKeyId).toBe(firstKey);
      const renewedKey = authorizationOf(renewed['Authorization'] as string).accessKeyId;
      expect(renewedKey).not.toBe(firstKey);
      expect(Date.parse(findIssued(renewedKey)?.issued.expiration ?? '')).toBeGreaterThan(now() + 30 * 60_000);
      expect([tooLong.statusCode, jsonBody(tooLong)['ErrorCode']]).toEqual([403, 'DateOutOfRange']);
      expect(jsonBody(tooLong)['ErrorMessage']).toMatch(/within 1800 seconds/);
      expect(ownSts.assumeRoleCalls - callsBefore).toBe(1);
    });

    it('signs under the scope named in the body, with that scope’s policy', async () => {
      const handler = handlerFor({ TVM_SCOPES: SCOPES, TVM_DEFAULT_SCOPE: 'user' });
      const content = `GET\n\n\n${rfc1123(Date.now())}\n/photos/shared/logo.png`;

      const response = await sign(handler, 'gus', content, { mode: 'json', scope: 'shared' });

      expect(response.statusCode).toBe(200);
      const record = sts.findIssued(authorizationOf(jsonBody(response)['Authorization'] as string).accessKeyId);
      expect(JSON.parse(record?.policy ?? '{}')).toEqual({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:photos/shared/*'] }] });
    });
  });

  describe('function mode (TVM_SIGNING_CREDENTIALS=function)', () => {
    it('signs with the FC context credentials and their token, without calling STS', async () => {
      // Prepare
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });
      const now = Date.now();
      const before = sts.assumeRoleCalls;

      // Act
      const text = await sign(handler, 'hana', putContent('hana', now));
      const json = jsonBody(await sign(handler, 'hana', putContent('hana', now), { mode: 'json' }));

      // Assess
      expect(sts.assumeRoleCalls).toBe(before);
      expect(text.statusCode).toBe(200);
      const { accessKeyId, signature } = authorizationOf(text.body);
      expect(accessKeyId).toBe(functionCredentials.accessKeyId);
      expect(signature).toBe(v1Signature(functionCredentials.accessKeySecret, putContentWithToken('hana', now, functionCredentials.securityToken)));
      expect(text.headers['x-oss-security-token']).toBe(functionCredentials.securityToken);
      expect(text.headers['x-tvm-credentials-expiration']).toBeUndefined();
      expect(json).toEqual({ StatusCode: 200, Authorization: text.body, SecurityToken: functionCredentials.securityToken, SignedString: putContentWithToken('hana', now, functionCredentials.securityToken) });
    });

    it('still refuses what the caller’s policy does not allow, and keeps working while STS throttles', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function', TVM_SCOPES: SCOPES, TVM_DEFAULT_SCOPE: 'user' });
      sts.setFault({ kind: 'throttle' });
      const now = Date.now();

      const otherUser = await sign(handler, 'ines', putContent('jack', now));
      const readOnly = await sign(handler, 'ines', `PUT\n\nimage/png\n${rfc1123(now)}\n/photos/shared/logo.png`, { scope: 'shared' });
      const allowed = await sign(handler, 'ines', putContent('ines', now));

      expect([otherUser.statusCode, jsonBody(otherUser)['ErrorCode']]).toEqual([403, 'KeyNotAllowed']);
      expect([readOnly.statusCode, jsonBody(readOnly)['ErrorCode']]).toEqual([403, 'OperationNotAllowed']);
      expect(allowed.statusCode).toBe(200);
    });

    it('signs unchanged, with no token, for long-term keys, and refuses a content carrying a token with 409', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });
      const longTerm = sts.addAccessKey();
      secretsSeen.add(longTerm.accessKeySecret);
      const now = Date.now();
      const content = putContent('kai', now);

      const signed = await sign(handler, 'kai', content, { mode: 'json', credentials: longTerm });
      const carrying = await sign(handler, 'kai', putContentWithToken('kai', now, 'CAIS-some-token'), { credentials: longTerm });

      expect(jsonBody(signed)).toEqual({ StatusCode: 200, Authorization: `OSS ${longTerm.accessKeyId}:${v1Signature(longTerm.accessKeySecret, content)}`, SignedString: content });
      expect([carrying.statusCode, jsonBody(carrying)['ErrorCode']]).toEqual([409, 'SecurityTokenMismatch']);
      expect(carrying.headers['x-oss-security-token']).toBeUndefined();
      expect(jsonBody(carrying)['SecurityToken']).toBeUndefined();
    });

    it('answers 500 MissingFunctionCredentials when the function has no role', async () => {
      for (const mode of ['function', 'scoped']) {
        const response = await sign(handlerFor({ TVM_SIGNING_CREDENTIALS: mode }), 'lena', putContent('lena'), { credentials: null });
        expect([response.statusCode, jsonBody(response)['ErrorCode']]).toEqual([500, 'MissingFunctionCredentials']);
      }
    });
  });

  describe('the credential cache', () => {
    it('serves two sign requests of the same user with one AssumeRole call', async () => {
      const handler = handlerFor();
      const before = sts.assumeRoleCalls;

      const first = await sign(handler, 'mona', putContent('mona'));
      const second = await sign(handler, 'mona', presignedContent('mona', Math.floor(Date.now() / 1000) + 60), { mode: 'json' });

      expect(sts.assumeRoleCalls - before).toBe(1);
      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
      expect(authorizationOf(jsonBody(second)['Authorization'] as string).accessKeyId).toBe(authorizationOf(first.body).accessKeyId);
    });

    it('makes one AssumeRole call for 20 concurrent first requests of one user', async () => {
      const handler = handlerFor();
      sts.setFault({ kind: 'slow', delayMs: 100 });
      const before = sts.assumeRoleCalls;

      const responses = await Promise.all(Array.from({ length: 20 }, () => sign(handler, 'nils', putContent('nils'))));

      expect(sts.assumeRoleCalls - before).toBe(1);
      expect(new Set(responses.map((response) => response.body)).size).toBe(1);
      expect(responses.every((response) => response.statusCode === 200)).toBe(true);
    });

    it('keeps users apart: each is signed for with credentials of its own policy', async () => {
      const handler = handlerFor();

      const [user1, user10] = await Promise.all([sign(handler, 'user1', putContent('user1')), sign(handler, 'user10', putContent('user10'))]);

      const policy1 = sts.findIssued(authorizationOf(user1.body).accessKeyId)?.policy ?? '{}';
      const policy10 = sts.findIssued(authorizationOf(user10.body).accessKeyId)?.policy ?? '{}';
      expect(JSON.parse(policy1)).toEqual(userPolicy('user1'));
      expect(JSON.parse(policy10)).toEqual(userPolicy('user10'));
    });
  });

  describe('a content carrying another token', () => {
    it('answers 409 with the current token after the credentials were renewed; signing again with it succeeds', async () => {
      // Prepare: credentials cached, then aged past their freshness.
      const { handler, credentials, now, advance, sts: ownSts } = await timeTravel();
      const first = await sign(handler, 'olaf', putContent('olaf', now()), { credentials });
      const oldToken = first.headers['x-oss-security-token'] ?? '';
      expect(first.statusCode).toBe(200);
      advance(51 * 60_000, 10 * 60_000);
      const clock = now();

      // Act: the app signs a content built with the token it holds; the cache renews first.
      const stale = await sign(handler, 'olaf', putContentWithToken('olaf', clock, oldToken), { credentials });

      // Assess: 409 with the current token, in the body and the header, and no signature.
      expect(stale.statusCode).toBe(409);
      const refusal = jsonBody(stale);
      expect(refusal).toEqual({ StatusCode: 409, ErrorCode: 'SecurityTokenMismatch', ErrorMessage: expect.any(String), RequestId: 'req-olaf', SecurityToken: expect.any(String) });
      const current = refusal['SecurityToken'] as string;
      expect(current).not.toBe(oldToken);
      expect(stale.headers['x-oss-security-token']).toBe(current);
      expect(stale.body).not.toContain('OSS ');
      const renewed = ownSts.records.at(-1);
      expect(ownSts.successfulCalls).toBe(2);
      expect(renewed?.issued.securityToken).toBe(current);

      // Retry with the current token: signed unchanged, by the renewed credentials, from the cache.
      const content = putContentWithToken('olaf', clock, current);
      const retried = await sign(handler, 'olaf', content, { credentials });
      expect(retried.statusCode).toBe(200);
      const { accessKeyId, signature } = authorizationOf(retried.body);
      expect(accessKeyId).toBe(renewed?.issued.accessKeyId);
      expect(signature).toBe(v1Signature(renewed?.issued.accessKeySecret ?? '', content));
      expect(retried.headers['x-oss-security-token']).toBe(current);
      expect(ownSts.successfulCalls).toBe(2);
    });

    it('answers 409 when the content carries the token of another instance’s credentials', async () => {
      // Two function instances, each with its own cache: each assumed the role for the same user.
      const [instanceA, instanceB] = [handlerFor(), handlerFor()];
      const now = Date.now();
      const fromA = (await sign(instanceA, 'otto', putContent('otto', now))).headers['x-oss-security-token'] ?? '';

      const onB = await sign(instanceB, 'otto', putContentWithToken('otto', now, fromA));
      const tokenOfB = jsonBody(onB)['SecurityToken'] as string;
      const retried = await sign(instanceB, 'otto', putContentWithToken('otto', now, tokenOfB), { mode: 'json' });

      expect(onB.statusCode).toBe(409);
      expect(tokenOfB).not.toBe(fromA);
      expect(retried.statusCode).toBe(200);
      expect(jsonBody(retried)['SignedString']).toBe(putContentWithToken('otto', now, tokenOfB));
    });

    it('answers 409 for a presigned content whose security-token sub-resource is not the current token', async () => {
      const handler = handlerFor();
      const expires = Math.floor(Date.now() / 1000) + 300;

      for (const subresource of ['?security-token=CAIS-old', '?security-token', '?response-content-type=image/png&security-token=CAIS-old']) {
        const response = await sign(handler, 'pia', presignedContent('pia', expires, subresource));
        expect(response.statusCode).toBe(409);
        expect(response.headers['x-oss-security-token']).toBe(jsonBody(response)['SecurityToken']);
        expect(response.headers['x-oss-security-token']).toMatch(/^.{20,}$/);
      }
    });
  });

  describe('what the official Android SDK sends (issue 10)', () => {
    it('signs a key holding "?" (users/<me>/what?.txt) as a key, as ali-oss writes it, and an empty x-oss-meta value', async () => {
      const handler = handlerFor();
      const now = Date.now();
      const content = `PUT\n\ntext/plain\n${rfc1123(now)}\nx-oss-meta-empty:\n/photos/users/wendy/what?.txt`;

      const response = await sign(handler, 'wendy', content, { mode: 'json' });

      expect(response.statusCode).toBe(200);
      const body = jsonBody(response);
      const token = body['SecurityToken'] as string;
      expect(body['SignedString']).toBe(aliOss.buildCanonicalString('PUT', '/photos/users/wendy/what?.txt', { headers: { 'Content-Type': 'text/plain', 'x-oss-meta-empty': '', 'x-oss-security-token': token } }, rfc1123(now)));
    });

    it('refuses the sub-resource smuggling content with 403 SubResourceNotAllowed, and says when a header value is too long', async () => {
      const handler = handlerFor();
      const date = rfc1123(Date.now());

      const smuggled = await sign(handler, 'wendy', `GET\n\n\n${date}\n/photos/users/wendy/x?response-content-type=a?x-oss-process=image/resize,w_1`);
      const long = await sign(handler, 'wendy', `PUT\n\n\n${date}\nx-oss-meta-a:${'a'.repeat(2049)}\n/photos/users/wendy/a.jpg`);

      expect([smuggled.statusCode, jsonBody(smuggled)['ErrorCode']]).toEqual([403, 'SubResourceNotAllowed']);
      expect([long.statusCode, jsonBody(long)['ErrorCode']]).toEqual([400, 'MalformedStringToSign']);
      expect(jsonBody(long)['ErrorMessage']).toContain('the value of x-oss-meta-a is longer than 2048 characters');
    });
  });

  describe('when STS fails (scoped mode)', () => {
    it('answers 503 StsThrottled with Retry-After and no signature', async () => {
      sts.setFault({ kind: 'throttle' });

      const response = await sign(handlerFor(), 'quinn', putContent('quinn'));

      expect(response.statusCode).toBe(503);
      expect(response.headers['Retry-After']).toMatch(/^\d+$/);
      expect(jsonBody(response)).toEqual({ StatusCode: 503, ErrorCode: 'StsThrottled', ErrorMessage: expect.any(String), RequestId: 'req-quinn' });
      expect(response.body).not.toContain('OSS ');
      expect(response.headers['x-oss-security-token']).toBeUndefined();
    });

    it('answers 503 StsUnavailable for STS 5xx', async () => {
      sts.setFault({ kind: 'server-error', status: 500 });

      const response = await sign(handlerFor(), 'rosa', putContent('rosa'), { mode: 'json' });

      expect([response.statusCode, jsonBody(response)['ErrorCode']]).toEqual([503, 'StsUnavailable']);
      expect(jsonBody(response)['Authorization']).toBeUndefined();
    });
  });

  describe('refusals', () => {
    const now = (): number => Date.now();
    const date = (offsetMs = 0): string => rfc1123(now() + offsetMs);
    it.each([
      ['another user’s prefix', (): string => putContent('bob'), 403, 'KeyNotAllowed'],
      ['a key that climbs out of the prefix', (): string => `PUT\n\n\n${date()}\n/photos/users/sam/../bob/a.jpg`, 403, 'KeyNotAllowed'],
      ['a prefix that only starts like the caller’s', (): string => `PUT\n\n\n${date()}\n/photos/users/sam2/a.jpg`, 403, 'KeyNotAllowed'],
      ['a listing of the bucket (ListObjects)', (): string => `GET\n\n\n${date()}\n/photos/`, 403, 'ListingNotSignable'],
      ['another bucket', (): string => `PUT\n\n\n${date()}\n/other/users/sam/a.jpg`, 403, 'BucketNotAllowed'],
      ['the service (ListBuckets)', (): string => `GET\n\n\n${date()}\n/`, 403, 'ResourceNotAllowed'],
      ['a Date ten minutes old', (): string => `PUT\n\nimage/jpeg\n${date(-10 * 60_000)}\n/photos/users/sam/a.jpg`, 403, 'DateOutOfRange'],
      ['a Date ten minutes ahead', (): string => `PUT\n\nimage/jpeg\n${date(10 * 60_000)}\n/photos/users/sam/a.jpg`, 403, 'DateOutOfRange'],
      ['a presigned URL expired', (): string => presignedContent('sam', Math.floor(now() / 1000) - 1), 403, 'DateOutOfRange'],
      ['a presigned URL valid too long', (): string => presignedContent('sam', Math.floor(now() / 1000) + 3700), 403, 'DateOutOfRange'],
      ['a copy from another object', (): string => `PUT\n\n\n${date()}\nx-oss-copy-source:/photos/users/bob/a.jpg\n/photos/users/sam/a.jpg`, 403, 'HeaderNotAllowed'],
      ['an ACL change', (): string => `PUT\n\n\n${date()}\nx-oss-object-acl:public-read\n/photos/users/sam/a.jpg`, 403, 'HeaderNotAllowed'],
      ['an acl sub-resource', (): string => `PUT\n\n\n${date()}\n/photos/users/sam/a.jpg?acl`, 403, 'SubResourceNotAllowed'],
      ['a DeleteObject the policy does not allow', (): string => `DELETE\n\n\n${date()}\n/photos/users/sam/a.jpg`, 403, 'OperationNotAllowed'],
      ['a verb that is not signed', (): string => `PATCH\n\n\n${date()}\n/photos/users/sam/a.jpg`, 403, 'VerbNotAllowed'],
      ['CRLF line ends', (): string => `PUT\r\n\r\n\r\n${date()}\r\n/photos/users/sam/a.jpg`, 400, 'MalformedStringToSign'],
      ['x-oss lines out of order', (): string => `PUT\n\n\n${date()}\nx-oss-meta-b:1\nx-oss-meta-a:1\n/photos/users/sam/a.jpg`, 400, 'MalformedStringToSign'],
      ['an empty content', (): string => '', 400, 'MalformedStringToSign'],
      ['a content over 8 KiB', (): string => `PUT\n\n\n${date()}\nx-oss-meta-a:${'a'.repeat(2000)}\nx-oss-meta-b:${'b'.repeat(2000)}\nx-oss-meta-c:${'c'.repeat(2000)}\nx-oss-meta-d:${'d'.repeat(2100)}\n/photos/users/sam/a.jpg`, 413, 'PayloadTooLarge'],
    ] as const)('refuses %s, with no signature and no STS call', async (_case, content, status, code) => {
      // Prepare
      const handler = handlerFor();
      const before = sts.assumeRoleCalls;

      // Act
      const response = await sign(handler, 'sam', content());

      // Assess: a date refusal also tells the client the server time, in the body and the Date header.
      expect(response.statusCode).toBe(status);
      const serverTime = code === 'DateOutOfRange' ? { ServerTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/) } : {};
      expect(jsonBody(response)).toEqual({ StatusCode: status, ErrorCode: code, ErrorMessage: expect.any(String), RequestId: 'req-sam', ...serverTime });
      if (code === 'DateOutOfRange') expect(Math.abs(Date.parse(response.headers['Date'] ?? '') - Date.now())).toBeLessThan(5000);
      expect(response.body).not.toContain('OSS ');
      expect(response.headers['x-oss-security-token']).toBeUndefined();
      expect(sts.assumeRoleCalls).toBe(before);
    });

    it('refuses a PUT for a read-only scope with 403 OperationNotAllowed', async () => {
      const handler = handlerFor({ TVM_SCOPES: SCOPES, TVM_DEFAULT_SCOPE: 'user' });
      const content = `PUT\n\nimage/png\n${rfc1123(Date.now())}\n/photos/shared/logo.png`;

      const text = await sign(handler, 'tina', content, { scope: 'shared' });
      const json = await sign(handler, 'tina', content, { mode: 'json', scope: 'shared' });
      const read = await sign(handler, 'tina', content.replace(/^PUT/, 'GET').replace('image/png', ''), { scope: 'shared' });

      expect([text.statusCode, jsonBody(text)['ErrorCode']]).toEqual([403, 'OperationNotAllowed']);
      expect([json.statusCode, jsonBody(json)['ErrorCode']]).toEqual([403, 'OperationNotAllowed']);
      expect(read.statusCode).toBe(200);
    });

    it('refuses an unknown scope with 403 UnknownScope', async () => {
      const response = await sign(handlerFor(), 'ulla', putContent('ulla'), { scope: 'admin' });

      expect([response.statusCode, jsonBody(response)['ErrorCode']]).toEqual([403, 'UnknownScope']);
    });

    it.each([
      ['PUT', { method: 'PUT' }, 405, 'MethodNotAllowed'],
      ['a text/html body', { headers: { 'Content-Type': 'text/html' } }, 415, 'UnsupportedMediaType'],
      ['invalid UTF-8 bytes as a base64 body', { body: Buffer.from([0x50, 0x55, 0x54, 0x0a, 0x0a, 0x0a, 0xff, 0xfe, 0x0a, 0x2f]).toString('base64'), isBase64Encoded: true }, 400, 'MalformedStringToSign'],
      ['a JSON body with a field too many', { headers: { 'Content-Type': 'application/json' }, body: '{"stringToSign":"x","SecurityToken":"y"}' }, 400, 'MalformedRequest'],
      ['a body over 20 KiB', { body: 'x'.repeat(21 * 1024) }, 413, 'PayloadTooLarge'],
    ] as const)('refuses %s', async (_case, request, status, code) => {
      const response = await sign(handlerFor(), 'vera', putContent('vera'), { request });

      expect(response.statusCode).toBe(status);
      expect(jsonBody(response)).toEqual({ StatusCode: status, ErrorCode: code, ErrorMessage: expect.any(String), RequestId: 'req-vera' });
      if (status === 405) expect(response.headers['Allow']).toBe('POST, GET, OPTIONS');
    });

    it('answers 401 without a bearer token before the string-to-sign is parsed', async () => {
      // Prepare: contents the parser or the rules would refuse with 400 or 403.
      const handler = handlerFor();
      const before = sts.assumeRoleCalls;
      const contents = ['not a string to sign', `GET\n\n\n${rfc1123(Date.now())}\n/photos/`, putContent('wim')];

      for (const content of contents) {
        for (const headers of [{}, { Authorization: 'Bearer not.a.jwt' }, { Authorization: `Bearer ${await tokenFor('wim')}x` }] as Record<string, string>[]) {
          // Act
          const response = await handler(httpEvent({ method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers }, body: content }), { requestId: 'req-anonymous', credentials: functionCredentials });

          // Assess
          expect(response.statusCode).toBe(401);
          expect(jsonBody(response)['ErrorCode']).toBe('InvalidToken');
          expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer/);
        }
      }
      expect(sts.assumeRoleCalls).toBe(before);
    });
  });

  describe('browsers', () => {
    const origin = 'https://app.example.com';

    it('answers a preflight from an allowed origin, and lets it read the signature, the token and its expiry', async () => {
      // Prepare
      const handler = handlerFor({ TVM_CORS_ALLOWED_ORIGINS: origin });

      // Act
      const preflight = await handler(httpEvent({ method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } }), { requestId: 'p' });
      const signed = await sign(handler, 'abby', putContent('abby'), { request: { headers: { Origin: origin } } });
      const mismatch = await sign(handler, 'abby', putContentWithToken('abby', Date.now(), 'CAIS-old'), { request: { headers: { Origin: origin } } });

      // Assess
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers).toMatchObject({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Methods': 'POST, GET', Allow: 'POST, GET, OPTIONS' });
      expect(preflight.headers['Access-Control-Allow-Headers']).toMatch(/Authorization.*Content-Type.*x-tvm-session-ticket/);
      for (const response of [signed, mismatch]) {
        expect(response.headers['Access-Control-Allow-Origin']).toBe(origin);
        expect(response.headers['Access-Control-Expose-Headers']?.split(', ')).toEqual(expect.arrayContaining(['x-oss-security-token', 'x-tvm-credentials-expiration', 'Date']));
      }
      expect(signed.statusCode).toBe(200);
      expect(mismatch.statusCode).toBe(409);
    });

    it('gives other origins no CORS permission, and no origin any when none is configured', async () => {
      const foreign = await sign(handlerFor({ TVM_CORS_ALLOWED_ORIGINS: origin }), 'bert', putContent('bert'), { request: { headers: { Origin: 'https://evil.example.com' } } });
      const unconfigured = await handlerFor()(httpEvent({ method: 'OPTIONS', headers: { Origin: origin } }), { requestId: 'o' });

      expect(foreign.statusCode).toBe(200);
      expect(foreign.headers['Access-Control-Allow-Origin']).toBeUndefined();
      expect(foreign.headers['Access-Control-Expose-Headers']).toBeUndefined();
      expect(unconfigured.headers['Access-Control-Allow-Origin']).toBeUndefined();
    });
  });

  describe('configuration', () => {
    it('answers every request with 500 naming the bad signing variable', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'other', TVM_SIGN_MAX_SKEW_SECONDS: '5' });

      const response = await sign(handler, 'xena', putContent('xena'));

      expect(response.statusCode).toBe(500);
      expect(jsonBody(response)['ErrorCode']).toBe('InvalidConfiguration');
      expect(jsonBody(response)['ErrorMessage']).toContain('TVM_SIGNING_CREDENTIALS');
      expect(jsonBody(response)['ErrorMessage']).toContain('TVM_SIGN_MAX_SKEW_SECONDS');
    });

    it('accepts a header named in TVM_SIGN_EXTRA_HEADERS and judges dates by TVM_SIGN_MAX_SKEW_SECONDS', async () => {
      const handler = handlerFor({ TVM_SIGN_EXTRA_HEADERS: 'x-oss-forbid-overwrite', TVM_SIGN_MAX_SKEW_SECONDS: '30' });
      const content = (offsetMs: number): string => `PUT\n\n\n${rfc1123(Date.now() + offsetMs)}\nx-oss-forbid-overwrite:true\n/photos/users/yara/a.jpg`;

      const accepted = await sign(handler, 'yara', content(0));
      const late = await sign(handler, 'yara', content(-60_000));

      expect(accepted.statusCode).toBe(200);
      expect([late.statusCode, jsonBody(late)['ErrorCode']]).toEqual([403, 'DateOutOfRange']);
    });
  });

  describe('logs', () => {
    it('writes one line per request with the operation, identity, scope and cache, and the refusal’s code', async () => {
      // Prepare
      const lines: string[] = [];
      const handler = handlerFor({}, { lines });
      const functionHandler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' }, { lines });

      // Act
      await sign(handler, 'zoe', putContent('zoe'));
      await sign(handler, 'zoe', presignedContent('zoe', Math.floor(Date.now() / 1000) + 60));
      await sign(handler, 'zoe', putContent('bob'));
      await sign(functionHandler, 'zoe', `DELETE\n\n\n${rfc1123(Date.now())}\n/photos/users/zoe/a.jpg?uploadId=abc`);

      // Assess
      expect(lines).toHaveLength(4);
      const [miss, hit, refused, functionMode] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(miss).toMatchObject({ requestId: 'req-zoe', function: 'sign-request', method: 'POST', identity: 'zoe', scope: 'user', cache: 'miss', operation: 'PutObject', status: 200 });
      expect(miss?.['stsRequestId']).toMatch(/^[0-9A-F-]{36}$/);
      expect(hit).toMatchObject({ identity: 'zoe', scope: 'user', cache: 'hit', operation: 'GetObject', status: 200 });
      expect(refused).toMatchObject({ identity: 'zoe', scope: 'user', status: 403, errorCode: 'KeyNotAllowed' });
      expect(refused?.['cache']).toBeUndefined();
      expect(functionMode).toMatchObject({ identity: 'zoe', operation: 'AbortMultipartUpload', status: 200 });
      expect(functionMode?.['cache']).toBeUndefined();
      expect(typeof miss?.['durationMs']).toBe('number');
    });

    it('never contain a secret, security token, JWT or signature used anywhere in this file', () => {
      // Runs last in this file: every request above logged through logLines.
      expect(logLines.length).toBeGreaterThan(40);
      expect(signaturesSeen.size).toBeGreaterThan(15);
      const all = logLines.join('\n');
      for (const secret of [...secretsSeen, ...signaturesSeen]) {
        expect(secret.length).toBeGreaterThan(10);
        expect(all).not.toContain(secret);
      }
      expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
      expect(all).not.toMatch(/OSS [A-Za-z0-9.]+:/);
    });
  });
});
