/**
 * sign-request for clients that build requests themselves: the signing session (`GET /`), the new
 * SDKs' RemoteSignerV4 map (hash-only) and RemoteSignerV1 map, through the real handler with the
 * STS emulator on loopback. Requests are built the way the SDKs build them, by ali-oss's V4
 * functions (`lib/common/signUtils.js`), never by the code under test; ali-oss's
 * `getSignatureV4` with the secret STS really issued is the oracle for every signature.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import type { FcContext, FcHttpHandler } from '../../shared/http/fc-event';
import type { HttpResponse } from '../../shared/http/message';
import { createLogger } from '../../shared/log';
import { StsClient } from '../../shared/sts/sts-client';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { bearer, httpEvent, jsonBody } from '../helpers/fc-events';
import { functionEnvironment } from '../helpers/function-environment';

/** ali-oss 6.23's V4 functions: how the SDKs build a V4 request, and the signature oracle. */
interface AliOssV4 {
  authorizationV4(accessKeyId: string, accessKeySecret: string, region: string, method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
  getStringToSign(region: string, date: string, canonicalRequest: string, product?: string): string;
  getSignatureV4(accessKeySecret: string, date: string, region: string, stringToSign: string, product?: string): string;
}
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as AliOssV4;

type Credentials = { accessKeyId: string; accessKeySecret: string; securityToken?: string };

let sts: StsEmulator;
let issuer: DemoIssuer;
let functionCredentials: Required<Credentials>;
const logLines: string[] = [];
const secretsSeen = new Set<string>();

const SCOPES = JSON.stringify({ user: { prefix: 'users/${sub}/', actions: ['read', 'write'] }, shared: { prefix: 'shared/', actions: ['read'] }, albums: { prefix: 'albums/${sub}/', actions: ['read', 'list'] } });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function handlerFor(overrides: Record<string, string> = {}, now?: () => number): FcHttpHandler {
  return createSignRequestHandler(functionEnvironment(sts, issuer, { TVM_SCOPES: SCOPES, TVM_DEFAULT_SCOPE: 'user', ...overrides }), {
    logger: createLogger((line) => logLines.push(line)),
    sts: new StsClient({ endpoint: sts.url, attemptTimeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1000 } }),
    ...(now ? { now } : {}),
  });
}

interface Call {
  readonly method?: string;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  /** The FC context credentials; default the function role's STS credentials. */
  readonly credentials?: Credentials;
  /** More request headers, such as a session ticket. */
  readonly headers?: Record<string, string>;
}

/** Calls sign-request as `subject`, remembering every secret and token the answer names. */
async function call(handler: FcHttpHandler, subject: string, options: Call = {}): Promise<HttpResponse> {
  const token = await issuer.issue(subject);
  secretsSeen.add(token);
  const method = options.method ?? 'POST';
  const response = await handler(
    httpEvent({ method, headers: { ...bearer(token), ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}), ...options.headers }, query: options.query ?? {}, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) }),
    { requestId: `req-${subject}`, credentials: options.credentials ?? functionCredentials } satisfies FcContext,
  );
  const body = jsonBody(response);
  for (const name of ['SecurityToken', 'signature', 'SessionTicket']) if (typeof body[name] === 'string') secretsSeen.add(body[name] as string);
  const issued = typeof body['AccessKeyId'] === 'string' ? sts.findIssued(body['AccessKeyId']) : undefined;
  if (issued) secretsSeen.add(issued.issued.accessKeySecret);
  return response;
}

/** The signing session of `subject`: what a V4 client learns before it builds a request. */
async function session(handler: FcHttpHandler, subject: string, query: Record<string, string> = {}, credentials?: Credentials): Promise<{ accessKeyId: string; securityToken: string }> {
  const body = jsonBody(await call(handler, subject, { method: 'GET', query, ...(credentials ? { credentials } : {}) }));
  return { accessKeyId: String(body['AccessKeyId']), securityToken: String(body['SecurityToken']) };
}

const v4Time = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

interface V4Build {
  readonly method?: string;
  readonly bucket?: string;
  readonly key: string;
  readonly time?: number;
  readonly accessKeyId: string;
  readonly securityToken: string;
  readonly queries?: Record<string, string | null>;
  readonly headers?: Record<string, string>;
  readonly region?: string;
}

/**
 * The RemoteSignerV4 map for a request, built as RemoteSignerV4.kt builds it: the headers the SDK
 * adds (x-oss-date, x-oss-security-token, x-oss-content-sha256), the canonical request and string
 * to sign from ali-oss, the scope's date.
 */
function remoteSignerMap(build: V4Build): Record<string, string> & { canonicalRequest: string } {
  const method = build.method ?? 'PUT';
  const bucket = build.bucket ?? 'photos';
  const region = build.region ?? 'cn-hangzhou';
  const timestamp = v4Time(build.time ?? Date.now());
  const headers = { 'content-type': 'image/jpeg', ...build.headers, 'x-oss-date': timestamp, 'x-oss-security-token': build.securityToken, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
  const canonicalRequest = aliOss.getCanonicalRequest(method, { headers, queries: build.queries ?? {} }, bucket, build.key);
  return {
    version: 'v4',
    method,
    bucket,
    key: build.key,
    stringToSign: aliOss.getStringToSign(region, timestamp, canonicalRequest),
    region,
    product: 'oss',
    date: timestamp.slice(0, 8),
    accessKeyId: build.accessKeyId,
    canonicalRequest,
  };
}

/** The map without the test's own field. */
function sent(map: Record<string, string>): Record<string, string> {
  const { canonicalRequest: _built, ...rest } = map;
  return rest;
}

beforeAll(async () => {
  sts = await StsEmulator.start();
  issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-test');
  functionCredentials = sts.createFunctionCredentials();
  secretsSeen.add(functionCredentials.accessKeySecret).add(functionCredentials.securityToken);
});

afterAll(async () => {
  await sts.close();
});

describe('sign-request for V4 clients', () => {
  describe('the signing session (GET /)', () => {
    it('answers the caller\'s scoped AccessKeyId, token, expiry, region, bucket, endpoint, prefix and server time, never the secret', async () => {
      // Prepare
      const handler = handlerFor();
      const before = sts.assumeRoleCalls;

      // Act
      const response = await call(handler, 'alice', { method: 'GET' });

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers['Cache-Control']).toBe('no-store');
      const body = jsonBody(response);
      expect(Object.keys(body)).toEqual(['StatusCode', 'AccessKeyId', 'SecurityToken', 'Expiration', 'Region', 'Bucket', 'Endpoint', 'Prefix', 'ServerTime', 'SessionTicket']);
      const record = sts.findIssued(String(body['AccessKeyId']));
      expect(record).toBeDefined();
      expect(JSON.parse(record?.policy ?? '{}').Statement[0].Resource).toEqual(['acs:oss:*:*:photos/users/alice/*']);
      expect(body).toMatchObject({ StatusCode: 200, SecurityToken: record?.issued.securityToken, Expiration: record?.issued.expiration, Region: 'cn-hangzhou', Bucket: 'photos', Endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', Prefix: 'users/alice/' });
      expect(Math.abs(Date.parse(String(body['ServerTime'])) - Date.now())).toBeLessThan(5000);
      expect(body['ServerTime']).toMatch(ISO);
      expect(response.body).not.toContain(record?.issued.accessKeySecret);
      expect(body['SessionTicket']).toMatch(/^t1\.[A-Za-z0-9_-]+$/);
      expect(sts.assumeRoleCalls - before).toBe(1);
    });

    it('serves later sessions and signatures of the same user and scope from the cache, and another scope with its own credentials', async () => {
      const handler = handlerFor();
      const first = await session(handler, 'bob');
      const before = sts.assumeRoleCalls;

      const again = await session(handler, 'bob');
      const shared = jsonBody(await call(handler, 'bob', { method: 'GET', query: { scope: 'shared' } }));

      expect(again).toEqual(first);
      expect(shared['Prefix']).toBe('shared/');
      expect(shared['AccessKeyId']).not.toBe(first.accessKeyId);
      expect(sts.assumeRoleCalls - before).toBe(1);
    });

    it('answers the function role\'s AccessKeyId and token in function mode, without calling STS or naming an expiry', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });
      const before = sts.assumeRoleCalls;

      const body = jsonBody(await call(handler, 'carl', { method: 'GET' }));

      expect(body).toEqual({ StatusCode: 200, AccessKeyId: functionCredentials.accessKeyId, SecurityToken: functionCredentials.securityToken, Region: 'cn-hangzhou', Bucket: 'photos', Endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', Prefix: 'users/carl/', ServerTime: expect.stringMatching(ISO) });
      expect(sts.assumeRoleCalls).toBe(before);
    });

    it('refuses an anonymous caller with 401 and an unknown scope with 403, without calling STS', async () => {
      const handler = handlerFor();
      const before = sts.assumeRoleCalls;

      const anonymous = await handler(httpEvent({ method: 'GET' }), { requestId: 'anon', credentials: functionCredentials });
      const unknown = await call(handler, 'dora', { method: 'GET', query: { scope: 'admin' } });

      expect([anonymous.statusCode, jsonBody(anonymous)['ErrorCode']]).toEqual([401, 'InvalidToken']);
      expect([unknown.statusCode, jsonBody(unknown)['ErrorCode']]).toEqual([403, 'UnknownScope']);
      expect(sts.assumeRoleCalls).toBe(before);
    });
  });

  describe('hash-only V4 signing (a RemoteSignerV4 map)', () => {
    it('signs the SDK\'s string to sign with the caller\'s scoped credentials, as ali-oss would with the issued secret', async () => {
      // Prepare: the session, then a PutObject built as the SDK builds it.
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'erin');
      const map = remoteSignerMap({ key: 'users/erin/photo 1+2.jpg', accessKeyId, securityToken, headers: { 'x-oss-meta-owner': 'erin' } });

      // Act
      const response = await call(handler, 'erin', { body: sent(map) });

      // Assess
      expect(response.statusCode).toBe(200);
      const body = jsonBody(response);
      const record = sts.findIssued(accessKeyId);
      expect(body).toEqual({ StatusCode: 200, signature: expect.stringMatching(/^[0-9a-f]{64}$/), SecurityToken: securityToken, Expiration: record?.issued.expiration });
      expect(body['signature']).toBe(aliOss.getSignatureV4(record?.issued.accessKeySecret ?? '', map['date'] ?? '', 'cn-hangzhou', map['stringToSign'] ?? ''));
    });

    it('takes the scope from the query or the map\'s "scope"', async () => {
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'finn', { scope: 'shared' });
      const map = sent(remoteSignerMap({ method: 'GET', key: 'shared/logo.png', accessKeyId, securityToken }));

      const inQuery = await call(handler, 'finn', { body: map, query: { scope: 'shared' } });
      const inBody = await call(handler, 'finn', { body: { ...map, scope: 'shared' } });
      const default_ = await call(handler, 'finn', { body: map });

      expect([inQuery.statusCode, inBody.statusCode]).toEqual([200, 200]);
      expect(jsonBody(inQuery)['signature']).toBe(jsonBody(inBody)['signature']);
      // The default scope's credentials are others, and its prefix is not shared/.
      expect([default_.statusCode, jsonBody(default_)['ErrorCode']]).toEqual([403, 'KeyNotAllowed']);
    });

    it('is refused in function mode with 403 SigningModeNotAllowed, pointing to canonical mode, without any signature', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });
      const map = remoteSignerMap({ key: 'users/gina/a.jpg', accessKeyId: functionCredentials.accessKeyId, securityToken: functionCredentials.securityToken });

      const response = await call(handler, 'gina', { body: sent(map) });

      expect(response.statusCode).toBe(403);
      expect(jsonBody(response)).toEqual({ StatusCode: 403, ErrorCode: 'SigningModeNotAllowed', ErrorMessage: expect.stringContaining('canonicalRequest'), RequestId: 'req-gina' });
    });

    describe('refusals, each with its code and no signature', () => {
      const tenMinutes = 10 * 60_000;
      const cases: [string, (map: Record<string, string>) => Record<string, string>, number, string][] = [
        ['three lines', (map) => ({ ...map, stringToSign: map['stringToSign']?.split('\n').slice(0, 3).join('\n') ?? '' }), 400, 'MalformedStringToSign'],
        ['a fifth line', (map) => ({ ...map, stringToSign: `${map['stringToSign']}\n` }), 400, 'MalformedStringToSign'],
        ['another algorithm', (map) => ({ ...map, stringToSign: map['stringToSign']?.replace('OSS4-HMAC-SHA256', 'AWS4-HMAC-SHA256') ?? '' }), 400, 'MalformedStringToSign'],
        ['a timestamp with separators', (map) => ({ ...map, stringToSign: map['stringToSign']?.replace(/\n(\d{4})(\d{2})(\d{2})T/, '\n$1-$2-$3T') ?? '' }), 400, 'MalformedStringToSign'],
        ['an uppercase hash', (map) => ({ ...map, stringToSign: map['stringToSign']?.replace(/[0-9a-f]{64}$/, (hash) => hash.toUpperCase().replace(/^[0-9]/, 'A')) ?? '' }), 400, 'MalformedStringToSign'],
        ['CRLF lines', (map) => ({ ...map, stringToSign: map['stringToSign']?.replaceAll('\n', '\r\n') ?? '' }), 400, 'MalformedStringToSign'],
        ['a scope line for another region', (map) => ({ ...map, stringToSign: map['stringToSign']?.replace('/cn-hangzhou/', '/cn-beijing/') ?? '' }), 403, 'RegionNotAllowed'],
        ['a map for another region', (map) => ({ ...map, region: 'cn-beijing' }), 403, 'RegionNotAllowed'],
        ['a scope line for another product', (map) => ({ ...map, stringToSign: map['stringToSign']?.replace('/oss/', '/oss-cloudbox/') ?? '' }), 403, 'ProductNotAllowed'],
        ['a map for another product', (map) => ({ ...map, product: 'sts' }), 403, 'ProductNotAllowed'],
        ['a map date other than the scope\'s', (map) => ({ ...map, date: '20200101' }), 403, 'CredentialScopeMismatch'],
        ['a scope date other than the timestamp\'s', (map) => ({ ...map, date: '20200101', stringToSign: map['stringToSign']?.replace(/\n\d{8}\//, '\n20200101/') ?? '' }), 403, 'CredentialScopeMismatch'],
        ['another bucket', (map) => ({ ...map, bucket: 'other' }), 403, 'BucketNotAllowed'],
        ['no bucket (a service request)', (map) => ({ ...map, bucket: '', key: '' }), 403, 'ResourceNotAllowed'],
        ['a key of another user', (map) => ({ ...map, key: 'users/bob/a.jpg' }), 403, 'KeyNotAllowed'],
        ['a key climbing out of the prefix', (map) => ({ ...map, key: 'users/hugo/../bob/a.jpg' }), 403, 'KeyNotAllowed'],
        ['a GET of the bucket (a listing)', (map) => ({ ...map, method: 'GET', key: '' }), 403, 'ListingNotSignable'],
        ['a method that is not signed', (map) => ({ ...map, method: 'PATCH' }), 403, 'VerbNotAllowed'],
        ['a field missing', ({ region: _r, ...map }) => map, 400, 'MalformedRequest'],
        ['a field too many', (map) => ({ ...map, securityToken: 'x' }), 400, 'MalformedRequest'],
        ['a version other than v4 or v1', (map) => ({ ...map, version: 'v5' }), 400, 'MalformedRequest'],
      ];
      it.each(cases)('refuses %s', async (_case, mutate, status, code) => {
        // Prepare
        const handler = handlerFor();
        const { accessKeyId, securityToken } = await session(handler, 'hugo');
        const map = mutate(sent(remoteSignerMap({ key: 'users/hugo/a.jpg', accessKeyId, securityToken })));

        // Act
        const response = await call(handler, 'hugo', { body: map });

        // Assess
        expect(response.statusCode).toBe(status);
        expect(jsonBody(response)).toEqual({ StatusCode: status, ErrorCode: code, ErrorMessage: expect.any(String), RequestId: 'req-hugo' });
      });

      it.each([['ten minutes old', -tenMinutes], ['ten minutes ahead', tenMinutes]])('refuses a timestamp %s with 403 DateOutOfRange and the server time', async (_case, offset) => {
        const handler = handlerFor();
        const { accessKeyId, securityToken } = await session(handler, 'iris');
        const map = remoteSignerMap({ key: 'users/iris/a.jpg', accessKeyId, securityToken, time: Date.now() + offset });

        const response = await call(handler, 'iris', { body: sent(map) });

        expect(response.statusCode).toBe(403);
        expect(jsonBody(response)).toEqual({ StatusCode: 403, ErrorCode: 'DateOutOfRange', ErrorMessage: expect.any(String), RequestId: 'req-iris', ServerTime: expect.stringMatching(ISO) });
        expect(Math.abs(Date.parse(response.headers['Date'] ?? '') - Date.now())).toBeLessThan(5000);
      });

      it('answers 409 SecurityTokenMismatch with the current AccessKeyId and token for a map built with other credentials', async () => {
        const handler = handlerFor();
        const current = await session(handler, 'jack');
        const map = remoteSignerMap({ key: 'users/jack/a.jpg', accessKeyId: 'STS.NotTheCurrentOne', securityToken: current.securityToken });

        const response = await call(handler, 'jack', { body: sent(map) });

        expect(response.statusCode).toBe(409);
        expect(jsonBody(response)).toEqual({ StatusCode: 409, ErrorCode: 'SecurityTokenMismatch', ErrorMessage: expect.any(String), RequestId: 'req-jack', AccessKeyId: current.accessKeyId, SecurityToken: current.securityToken, SessionTicket: expect.stringMatching(/^t1\./) });
        expect(response.headers['x-oss-security-token']).toBe(current.securityToken);
      });
    });
  });

  describe('a RemoteSignerV1 map', () => {
    const rfc1123 = (ms: number): string => new Date(ms).toUTCString();
    const v1Map = (accessKeyId: string, stringToSign: string, key: string, extra: Record<string, string> = {}) => ({ version: 'v1', method: stringToSign.split('\n')[0] ?? '', bucket: 'photos', key, stringToSign, accessKeyId, ...extra });

    it('signs the V1 string to sign as the SDK built it, token included, and answers {signature} in base64', async () => {
      // Prepare: the content RemoteSignerV1 builds with the session's token (Swift adds "date").
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'kate');
      const date = rfc1123(Date.now());
      const content = `PUT\n\nimage/jpeg\n${date}\nx-oss-security-token:${securityToken}\n/photos/users/kate/a.jpg`;

      // Act
      const response = await call(handler, 'kate', { body: v1Map(accessKeyId, content, 'users/kate/a.jpg', { date }) });

      // Assess
      expect(response.statusCode).toBe(200);
      const record = sts.findIssued(accessKeyId);
      expect(jsonBody(response)).toEqual({ StatusCode: 200, signature: createHmac('sha1', record?.issued.accessKeySecret ?? '').update(content).digest('base64'), SecurityToken: securityToken, Expiration: record?.issued.expiration });
    });

    it('signs in function mode too, by the V1 rules', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });
      const content = `GET\n\n\n${rfc1123(Date.now())}\nx-oss-security-token:${functionCredentials.securityToken}\n/photos/users/lars/a.jpg`;

      const allowed = await call(handler, 'lars', { body: v1Map(functionCredentials.accessKeyId, content, 'users/lars/a.jpg') });
      const otherUser = await call(handler, 'lars', { body: v1Map(functionCredentials.accessKeyId, content.replace('users/lars', 'users/bob'), 'users/bob/a.jpg') });

      expect(jsonBody(allowed)).toEqual({ StatusCode: 200, signature: createHmac('sha1', functionCredentials.accessKeySecret).update(content).digest('base64'), SecurityToken: functionCredentials.securityToken });
      expect([otherUser.statusCode, jsonBody(otherUser)['ErrorCode']]).toEqual([403, 'KeyNotAllowed']);
    });

    it('answers 409 with the current credentials for a content without the token (it cannot be inserted: the SDK sends only what it signed)', async () => {
      const handler = handlerFor();
      const current = await session(handler, 'mia');
      const content = `PUT\n\nimage/jpeg\n${rfc1123(Date.now())}\n/photos/users/mia/a.jpg`;

      const response = await call(handler, 'mia', { body: v1Map(current.accessKeyId, content, 'users/mia/a.jpg') });

      expect(response.statusCode).toBe(409);
      expect(jsonBody(response)).toMatchObject({ ErrorCode: 'SecurityTokenMismatch', AccessKeyId: current.accessKeyId, SecurityToken: current.securityToken });
    });

    it.each([
      ['a key other than its content\'s', { key: 'users/nora/b.jpg' }],
      ['a method other than its content\'s', { method: 'GET' }],
      ['a date other than its content\'s', { date: 'Thu, 01 Jan 2026 00:00:00 GMT' }],
    ])('refuses a map with %s with 400 MalformedRequest', async (_case, change) => {
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'nora');
      const content = `PUT\n\nimage/jpeg\n${rfc1123(Date.now())}\nx-oss-security-token:${securityToken}\n/photos/users/nora/a.jpg`;

      const response = await call(handler, 'nora', { body: { ...v1Map(accessKeyId, content, 'users/nora/a.jpg'), ...change } });

      expect([response.statusCode, jsonBody(response)['ErrorCode']]).toEqual([400, 'MalformedRequest']);
    });
  });

  describe('canonical-request V4 signing', () => {
    interface CanonicalBuild {
      readonly method?: string;
      readonly key: string;
      readonly headers?: Record<string, string>;
      readonly queries?: Record<string, string | null>;
      readonly additionalHeaders?: string[];
      readonly time?: number;
      readonly securityToken?: string | null;
    }

    /** A header-signed request as ali-oss (authorizationV4: true) builds it, with the session's token. */
    function headerRequest(build: CanonicalBuild): { headers: Record<string, string>; queries: Record<string, string | null>; canonicalRequest: string; timestamp: string } {
      const timestamp = v4Time(build.time ?? Date.now());
      const token: Record<string, string> = build.securityToken === null ? {} : { 'x-oss-security-token': build.securityToken ?? '' };
      const headers: Record<string, string> = { ...build.headers, 'x-oss-date': timestamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', ...token };
      const queries = build.queries ?? {};
      return { headers, queries, timestamp, canonicalRequest: aliOss.getCanonicalRequest(build.method ?? 'PUT', { headers, queries }, 'photos', build.key, build.additionalHeaders) };
    }

    /** A presigned GET as ali-oss's signatureUrlV4 builds it: the credential, date, expiry and token in the query. */
    function presignedRequest(key: string, accessKeyId: string, securityToken: string, options: { expires?: number; region?: string; time?: number; queries?: Record<string, string> } = {}): { canonicalRequest: string; timestamp: string } {
      const timestamp = v4Time(options.time ?? Date.now());
      const queries = { ...options.queries, 'x-oss-credential': `${accessKeyId}/${timestamp.slice(0, 8)}/${options.region ?? 'cn-hangzhou'}/oss/aliyun_v4_request`, 'x-oss-date': timestamp, 'x-oss-expires': String(options.expires ?? 600), 'x-oss-signature-version': 'OSS4-HMAC-SHA256', 'x-oss-security-token': securityToken };
      return { timestamp, canonicalRequest: aliOss.getCanonicalRequest('GET', { headers: {}, queries }, 'photos', key) };
    }

    it('signs a PutObject\'s canonical request with the caller\'s scoped credentials: the Authorization ali-oss writes with the issued secret', async () => {
      // Prepare
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'pia');
      const request = headerRequest({ key: 'users/pia/照片 1+2.jpg', headers: { 'Content-Type': 'image/jpeg', 'x-oss-meta-owner': 'pia' }, securityToken });

      // Act
      const response = await call(handler, 'pia', { body: { version: 'v4', canonicalRequest: request.canonicalRequest } });

      // Assess
      expect(response.statusCode).toBe(200);
      const body = jsonBody(response);
      const record = sts.findIssued(accessKeyId);
      const secret = record?.issued.accessKeySecret ?? '';
      const stringToSign = aliOss.getStringToSign('cn-hangzhou', request.timestamp, request.canonicalRequest);
      expect(body).toEqual({
        StatusCode: 200,
        signature: aliOss.getSignatureV4(secret, request.timestamp.slice(0, 8), 'cn-hangzhou', stringToSign),
        Authorization: aliOss.authorizationV4(accessKeyId, secret, 'cn-hangzhou', 'PUT', { headers: request.headers, queries: {} }, 'photos', 'users/pia/照片 1+2.jpg'),
        StringToSign: stringToSign,
        SecurityToken: securityToken,
        Expiration: record?.issued.expiration,
      });
    });

    it('names the additional headers in the Authorization value, as ali-oss does', async () => {
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'quin');
      const request = headerRequest({ method: 'GET', key: 'users/quin/a.jpg', headers: { host: 'photos.oss-cn-hangzhou.aliyuncs.com', range: 'bytes=0-99' }, additionalHeaders: ['host', 'range'], securityToken });

      const body = jsonBody(await call(handler, 'quin', { body: { version: 'v4', canonicalRequest: request.canonicalRequest } }));

      const secret = sts.findIssued(accessKeyId)?.issued.accessKeySecret ?? '';
      expect(body['Authorization']).toBe(aliOss.authorizationV4(accessKeyId, secret, 'cn-hangzhou', 'GET', { headers: request.headers, queries: {} }, 'photos', 'users/quin/a.jpg', ['host', 'range']));
      expect(body['Authorization']).toContain(',AdditionalHeaders=host;range,');
    });

    it('signs a presigned GET whose credential and token are the session\'s, within the TTL', async () => {
      const handler = handlerFor();
      const { accessKeyId, securityToken } = await session(handler, 'rita');
      const url = presignedRequest('users/rita/a.jpg', accessKeyId, securityToken, { queries: { 'response-content-disposition': 'attachment; filename="a.jpg"' } });

      const body = jsonBody(await call(handler, 'rita', { body: { version: 'v4', canonicalRequest: url.canonicalRequest } }));

      const secret = sts.findIssued(accessKeyId)?.issued.accessKeySecret ?? '';
      expect(body['signature']).toBe(aliOss.getSignatureV4(secret, url.timestamp.slice(0, 8), 'cn-hangzhou', aliOss.getStringToSign('cn-hangzhou', url.timestamp, url.canonicalRequest)));
    });

    it('signs a listing of the caller\'s own prefix when its scope grants list, and nothing wider', async () => {
      const handler = handlerFor();
      const { securityToken } = await session(handler, 'sam', { scope: 'albums' });
      const list = (prefix: string) => headerRequest({ method: 'GET', key: '', queries: { 'list-type': '2', prefix, delimiter: '/' }, securityToken }).canonicalRequest;

      const own = await call(handler, 'sam', { body: { version: 'v4', canonicalRequest: list('albums/sam/2024/'), scope: 'albums' } });
      const wider = await call(handler, 'sam', { body: { version: 'v4', canonicalRequest: list('albums/'), scope: 'albums' } });
      const noList = await call(handler, 'sam', { body: { version: 'v4', canonicalRequest: headerRequest({ method: 'GET', key: '', queries: { prefix: 'users/sam/' }, securityToken: (await session(handler, 'sam')).securityToken }).canonicalRequest } });

      expect(own.statusCode).toBe(200);
      expect([wider.statusCode, jsonBody(wider)['ErrorCode']]).toEqual([403, 'KeyNotAllowed']);
      expect([noList.statusCode, jsonBody(noList)['ErrorCode']]).toEqual([403, 'OperationNotAllowed']);
    });

    it('signs in function mode with the function role\'s credentials, by the same rules, without STS', async () => {
      const handler = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });
      const before = sts.assumeRoleCalls;
      const own = headerRequest({ key: 'users/tess/a.jpg', securityToken: functionCredentials.securityToken });
      const other = headerRequest({ key: 'users/bob/a.jpg', securityToken: functionCredentials.securityToken });

      const signed = await call(handler, 'tess', { body: { version: 'v4', canonicalRequest: own.canonicalRequest } });
      const refused = await call(handler, 'tess', { body: { version: 'v4', canonicalRequest: other.canonicalRequest } });

      expect(jsonBody(signed)).toEqual({
        StatusCode: 200,
        signature: expect.stringMatching(/^[0-9a-f]{64}$/),
        Authorization: aliOss.authorizationV4(functionCredentials.accessKeyId, functionCredentials.accessKeySecret, 'cn-hangzhou', 'PUT', { headers: own.headers, queries: {} }, 'photos', 'users/tess/a.jpg'),
        StringToSign: aliOss.getStringToSign('cn-hangzhou', own.timestamp, own.canonicalRequest),
        SecurityToken: functionCredentials.securityToken,
      });
      expect([refused.statusCode, jsonBody(refused)['ErrorCode']]).toEqual([403, 'KeyNotAllowed']);
      expect(sts.assumeRoleCalls).toBe(before);
    });

    describe('refusals, each with its code and no signature', () => {
      type Make = (session: { accessKeyId: string; securityToken: string }) => string;
      const tooLongTtl = 3601;
      const cases: [string, Make, number, string][] = [
        ['another user\'s key', ({ securityToken }) => headerRequest({ key: 'users/bob/a.jpg', securityToken }).canonicalRequest, 403, 'KeyNotAllowed'],
        ['a ".." segment', ({ securityToken }) => headerRequest({ key: 'users/uma/../bob/a.jpg', securityToken }).canonicalRequest, 403, 'KeyNotAllowed'],
        ['another bucket', ({ securityToken }) => headerRequest({ key: 'users/uma/a.jpg', securityToken }).canonicalRequest.replace('/photos/', '/other/'), 403, 'BucketNotAllowed'],
        ['a listing without prefix', ({ securityToken }) => headerRequest({ method: 'GET', key: '', securityToken }).canonicalRequest, 403, 'ListingNotSignable'],
        ['an upload callback', ({ securityToken }) => headerRequest({ key: 'users/uma/a.jpg', headers: { 'x-oss-callback': 'eyJ1cmwiOiJodHRwOi8vZXZpbCJ9' }, securityToken }).canonicalRequest, 403, 'HeaderNotAllowed'],
        ['an ACL change', ({ securityToken }) => headerRequest({ key: 'users/uma/a.jpg', queries: { acl: null }, securityToken }).canonicalRequest, 403, 'SubResourceNotAllowed'],
        ['image processing', ({ securityToken }) => headerRequest({ method: 'GET', key: 'users/uma/a.jpg', queries: { 'x-oss-process': 'image/resize,w_1' }, securityToken }).canonicalRequest, 403, 'SubResourceNotAllowed'],
        ['a copy from another object', ({ securityToken }) => headerRequest({ key: 'users/uma/a.jpg', headers: { 'x-oss-copy-source': '/photos/users/bob/a.jpg' }, securityToken }).canonicalRequest, 403, 'HeaderNotAllowed'],
        ['an x-oss-date ten minutes old', ({ securityToken }) => headerRequest({ key: 'users/uma/a.jpg', time: Date.now() - 600_000, securityToken }).canonicalRequest, 403, 'DateOutOfRange'],
        ['a presigned URL valid longer than the TTL', ({ accessKeyId, securityToken }) => presignedRequest('users/uma/a.jpg', accessKeyId, securityToken, { expires: tooLongTtl }).canonicalRequest, 403, 'DateOutOfRange'],
        ['a presigned URL for another region', ({ accessKeyId, securityToken }) => presignedRequest('users/uma/a.jpg', accessKeyId, securityToken, { region: 'cn-beijing' }).canonicalRequest, 403, 'RegionNotAllowed'],
        ['a malformed canonical request', ({ securityToken }) => headerRequest({ key: 'users/uma/a.jpg', securityToken }).canonicalRequest.replace('/users/uma/a.jpg', '/users/uma/a b.jpg'), 400, 'MalformedStringToSign'],
        ['a method not signed', ({ securityToken }) => `PATCH${headerRequest({ key: 'users/uma/a.jpg', securityToken }).canonicalRequest.slice(3)}`, 403, 'VerbNotAllowed'],
      ];
      it.each(cases)('refuses %s', async (_case, make, status, code) => {
        // Prepare
        const handler = handlerFor();
        const current = await session(handler, 'uma');

        // Act
        const response = await call(handler, 'uma', { body: { version: 'v4', canonicalRequest: make(current) } });

        // Assess
        expect(response.statusCode).toBe(status);
        expect(jsonBody(response)).toEqual({ StatusCode: status, ErrorCode: code, ErrorMessage: expect.any(String), RequestId: 'req-uma', ...(code === 'DateOutOfRange' ? { ServerTime: expect.stringMatching(ISO) } : {}) });
      });

      it.each<[string, Make]>([
        ['no security token', () => headerRequest({ key: 'users/vic/a.jpg', securityToken: null }).canonicalRequest],
        ['another security token', () => headerRequest({ key: 'users/vic/a.jpg', securityToken: 'CAIS-an-old-token' }).canonicalRequest],
        ['a presigned URL for another AccessKeyId', ({ securityToken }) => presignedRequest('users/vic/a.jpg', 'STS.renewed-since', securityToken).canonicalRequest],
      ])('answers 409 SecurityTokenMismatch with the current AccessKeyId and token for %s', async (_case, make) => {
        const handler = handlerFor();
        const current = await session(handler, 'vic');

        const response = await call(handler, 'vic', { body: { version: 'v4', canonicalRequest: make(current) } });

        expect(response.statusCode).toBe(409);
        expect(jsonBody(response)).toEqual({ StatusCode: 409, ErrorCode: 'SecurityTokenMismatch', ErrorMessage: expect.any(String), RequestId: 'req-vic', AccessKeyId: current.accessKeyId, SecurityToken: current.securityToken, SessionTicket: expect.stringMatching(/^t1\./) });
      });
    });
  });

  describe('session tickets: a session signs on any instance, until it expires', () => {
    /** A session with its ticket. */
    async function ticketed(handler: FcHttpHandler, subject: string): Promise<{ accessKeyId: string; securityToken: string; ticket: string }> {
      const body = jsonBody(await call(handler, subject, { method: 'GET' }));
      return { accessKeyId: String(body['AccessKeyId']), securityToken: String(body['SecurityToken']), ticket: String(body['SessionTicket']) };
    }
    const KEY = Buffer.alloc(32, 7).toString('base64');
    const secretOf = (accessKeyId: string): string => sts.findIssued(accessKeyId)?.issued.accessKeySecret ?? '';

    it('signs on another instance with the session\'s own credentials when the ticket comes back, without calling STS', async () => {
      // Prepare: two instances sharing TVM_SIGNING_SESSION_KEY, each with its own cache, as FC runs them.
      const first = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const second = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const opened = await ticketed(first, 'kim');
      const map = remoteSignerMap({ key: 'users/kim/a.jpg', accessKeyId: opened.accessKeyId, securityToken: opened.securityToken });
      const before = sts.assumeRoleCalls;

      // Act
      const response = await call(second, 'kim', { body: sent(map), headers: { 'x-tvm-session-ticket': opened.ticket } });

      // Assess
      expect(response.statusCode).toBe(200);
      expect(jsonBody(response)['signature']).toBe(aliOss.getSignatureV4(secretOf(opened.accessKeyId), map.date ?? '', 'cn-hangzhou', map.stringToSign ?? ''));
      expect(sts.assumeRoleCalls).toBe(before);
    });

    it('signs a canonical request on another instance with the ticket of the credentials it names', async () => {
      const first = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const second = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const opened = await ticketed(first, 'lena');
      const map = remoteSignerMap({ key: 'users/lena/b.jpg', accessKeyId: opened.accessKeyId, securityToken: opened.securityToken });

      const response = await call(second, 'lena', { body: { version: 'v4', canonicalRequest: map.canonicalRequest }, headers: { 'x-tvm-session-ticket': opened.ticket } });

      expect(response.statusCode).toBe(200);
      expect(jsonBody(response)['signature']).toBe(aliOss.getSignatureV4(secretOf(opened.accessKeyId), map.date ?? '', 'cn-hangzhou', map.stringToSign ?? ''));
    });

    it('without the ticket, answers the other instance\'s 409 with its own credentials and ticket, with which the client goes on', async () => {
      const first = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const second = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const opened = await ticketed(first, 'milo');
      await ticketed(second, 'milo');

      const refused = await call(second, 'milo', { body: sent(remoteSignerMap({ key: 'users/milo/a.jpg', accessKeyId: opened.accessKeyId, securityToken: opened.securityToken })) });
      const current = jsonBody(refused);
      const retried = await call(first, 'milo', {
        body: sent(remoteSignerMap({ key: 'users/milo/a.jpg', accessKeyId: String(current['AccessKeyId']), securityToken: String(current['SecurityToken']) })),
        headers: { 'x-tvm-session-ticket': String(current['SessionTicket']) },
      });

      expect([refused.statusCode, current['ErrorCode']]).toEqual([409, 'SecurityTokenMismatch']);
      expect(current['AccessKeyId']).not.toBe(opened.accessKeyId);
      expect(retried.statusCode).toBe(200);
    });

    it('keeps a session signable after the cache renewed its credentials, until they expire', async () => {
      // Prepare: the cache renews 10 minutes before expiry; the SDKs use a session until 5 minutes
      // before. STS, the STS client and the function share one clock that the test moves.
      let clock = Date.now();
      const ownSts = await StsEmulator.start({ now: () => clock });
      const own = ownSts.createFunctionCredentials();
      const handler = createSignRequestHandler(functionEnvironment(ownSts, issuer, { TVM_SCOPES: SCOPES, TVM_DEFAULT_SCOPE: 'user' }), {
        logger: createLogger((line) => logLines.push(line)),
        sts: new StsClient({ endpoint: ownSts.url, now: () => clock }),
        now: () => clock,
      });
      const ownSecret = (accessKeyId: string): string => ownSts.findIssued(accessKeyId)?.issued.accessKeySecret ?? '';
      try {
        const ticketedOwn = async (): Promise<{ accessKeyId: string; securityToken: string; ticket: string }> => {
          const body = jsonBody(await call(handler, 'nina', { method: 'GET', credentials: own }));
          return { accessKeyId: String(body['AccessKeyId']), securityToken: String(body['SecurityToken']), ticket: String(body['SessionTicket']) };
        };
        const opened = await ticketedOwn();
        const expires = Date.parse(ownSts.findIssued(opened.accessKeyId)?.issued.expiration ?? '');
        clock = expires - 7 * 60_000;
        const renewed = await ticketedOwn();
        const mapAt = (time: number) => remoteSignerMap({ key: 'users/nina/a.jpg', accessKeyId: opened.accessKeyId, securityToken: opened.securityToken, time });
        const map = mapAt(clock);

        // Act
        const withTicket = await call(handler, 'nina', { body: sent(map), headers: { 'x-tvm-session-ticket': opened.ticket }, credentials: own });
        const without = await call(handler, 'nina', { body: sent(map), credentials: own });
        clock = expires - 30_000;
        const nearlyExpired = await call(handler, 'nina', { body: sent(mapAt(clock)), headers: { 'x-tvm-session-ticket': opened.ticket }, credentials: own });

        // Assess
        expect(renewed.accessKeyId).not.toBe(opened.accessKeyId);
        expect(withTicket.statusCode).toBe(200);
        expect(jsonBody(withTicket)['signature']).toBe(aliOss.getSignatureV4(ownSecret(opened.accessKeyId), map.date ?? '', 'cn-hangzhou', map.stringToSign ?? ''));
        expect([without.statusCode, jsonBody(without)['AccessKeyId']]).toEqual([409, renewed.accessKeyId]);
        expect([nearlyExpired.statusCode, jsonBody(nearlyExpired)['AccessKeyId']]).toEqual([409, renewed.accessKeyId]);
      } finally {
        await ownSts.close();
      }
    });

    it.each<[string, (ticket: string) => string, Record<string, string>]>([
      ['another user', (ticket) => ticket, { subject: 'olga' }],
      ['another scope', (ticket) => ticket, { scope: 'shared' }],
      ['another key (an instance without the shared key)', (ticket) => ticket, { key: Buffer.alloc(32, 9).toString('base64') }],
      ['a ticket altered by one character', (ticket) => `${ticket.slice(0, 10)}${ticket[10] === 'A' ? 'B' : 'A'}${ticket.slice(11)}`, {}],
      ['a truncated ticket', (ticket) => ticket.slice(0, -4), {}],
      ['not a ticket', () => 'eyJhbGciOiJub25lIn0.e30.', {}],
    ])('never signs with the credentials of %s: the ticket is ignored and the current credentials decide', async (_case, alter, options) => {
      // Prepare: paul's ticket, presented by someone or somewhere it was not sealed for.
      const sealedBy = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const presentedTo = handlerFor({ TVM_SIGNING_SESSION_KEY: options['key'] ?? KEY });
      const opened = await ticketed(sealedBy, 'paul');
      const subject = options['subject'] ?? 'paul';
      const key = subject === 'paul' ? 'users/paul/a.jpg' : `users/${subject}/a.jpg`;
      const map = remoteSignerMap({ key, accessKeyId: opened.accessKeyId, securityToken: opened.securityToken });

      // Act
      const response = await call(presentedTo, subject, { body: sent(map), query: options['scope'] ? { scope: options['scope'] } : {}, headers: { 'x-tvm-session-ticket': alter(opened.ticket) } });

      // Assess: refused (another scope's key is not the caller's prefix), never signed with paul's credentials.
      expect([409, 403]).toContain(response.statusCode);
      expect(jsonBody(response)['signature']).toBeUndefined();
      expect(jsonBody(response)['AccessKeyId'] ?? '').not.toBe(opened.accessKeyId);
    });

    it('issues no ticket in function mode, and ignores one there', async () => {
      const scoped = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY });
      const functionMode = handlerFor({ TVM_SIGNING_SESSION_KEY: KEY, TVM_SIGNING_CREDENTIALS: 'function' });
      const opened = await ticketed(scoped, 'quin');

      const session = jsonBody(await call(functionMode, 'quin', { method: 'GET' }));
      const map = remoteSignerMap({ key: 'users/quin/a.jpg', accessKeyId: opened.accessKeyId, securityToken: opened.securityToken });
      const canonical = await call(functionMode, 'quin', { body: { version: 'v4', canonicalRequest: map.canonicalRequest }, headers: { 'x-tvm-session-ticket': opened.ticket } });

      expect(session['SessionTicket']).toBeUndefined();
      expect([canonical.statusCode, jsonBody(canonical)['AccessKeyId']]).toEqual([409, functionCredentials.accessKeyId]);
    });
  });

  describe('a client whose clock is wrong', () => {
    it('corrects itself with the server time of the DateOutOfRange reply and is then signed (V1 text and hash-only V4)', async () => {
      // Prepare: the device clock runs 16 minutes slow, as in the Android SDK replay.
      const handler = handlerFor();
      const offset = -16 * 60_000;
      const device = (): number => Date.now() + offset;
      const { accessKeyId, securityToken } = await session(handler, 'otto');
      const v1 = (time: number) => `PUT\n\nimage/jpeg\n${new Date(time).toUTCString()}\n/photos/users/otto/a.jpg`;
      const token = await issuer.issue('otto');
      const postText = (content: string) => handler(httpEvent({ method: 'POST', headers: { ...bearer(token), 'Content-Type': 'text/plain' }, body: content }), { requestId: 'skew', credentials: functionCredentials });

      // Act: each client's first attempt, then again with its clock corrected by the server time.
      const firstV1 = await postText(v1(device()));
      const firstV4 = await call(handler, 'otto', { body: sent(remoteSignerMap({ key: 'users/otto/a.jpg', accessKeyId, securityToken, time: device() })) });
      const skew = Date.parse(String(jsonBody(firstV1)['ServerTime'])) - device();
      const corrected = (): number => device() + skew;
      const secondV1 = await postText(v1(corrected()));
      const secondV4 = await call(handler, 'otto', { body: sent(remoteSignerMap({ key: 'users/otto/a.jpg', accessKeyId, securityToken, time: corrected() })) });

      // Assess
      expect([firstV1.statusCode, jsonBody(firstV1)['ErrorCode']]).toEqual([403, 'DateOutOfRange']);
      expect([firstV4.statusCode, jsonBody(firstV4)['ErrorCode']]).toEqual([403, 'DateOutOfRange']);
      expect(Date.parse(firstV1.headers['Date'] ?? '')).toBe(Date.parse(String(jsonBody(firstV1)['ServerTime'])));
      expect(secondV1.statusCode).toBe(200);
      expect(secondV4.statusCode).toBe(200);
    });
  });

  it('never logs a secret, security token, JWT or signature', () => {
    // Runs last in this file: every request above logged through logLines.
    expect(logLines.length).toBeGreaterThan(30);
    const all = logLines.join('\n');
    for (const secret of secretsSeen) {
      expect(secret.length).toBeGreaterThan(10);
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
