/**
 * vend-token end to end: FC 3.0 HTTP events into the real handler, which authenticates with jose
 * and calls the STS emulator over loopback HTTP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVendTokenFunction } from '../../functions/vend-token/create-handler';
import type { FcHttpHandler } from '../../shared/http/fc-event';
import { createLogger } from '../../shared/log';
import { StsClient } from '../../shared/sts/sts-client';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { bearer, httpEvent, jsonBody } from '../helpers/fc-events';
import { adapterName, served } from '../helpers/adapters';
import { functionEnvironment } from '../helpers/function-environment';

let sts: StsEmulator;
let issuer: DemoIssuer;
let functionCredentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
const logLines: string[] = [];
const secretsSeen = new Set<string>();

function environment(overrides: Record<string, string> = {}): Record<string, string> {
  return functionEnvironment(sts, issuer, overrides);
}

/** A handler with a fast-failing STS client, so fault tests stay short. */
function handlerFor(overrides: Record<string, string> = {}): FcHttpHandler {
  return served('vend-token', createVendTokenFunction(environment(overrides), {
    logger: createLogger((line) => logLines.push(line)),
    sts: new StsClient({ endpoint: sts.url, attemptTimeoutMs: 300, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1200 } }),
  }));
}

async function tokenFor(subject: string): Promise<string> {
  const token = await issuer.issue(subject);
  secretsSeen.add(token);
  return token;
}

async function vend(handler: FcHttpHandler, subject: string, request: Parameters<typeof httpEvent>[0] = {}) {
  const token = await tokenFor(subject);
  const response = await handler(httpEvent({ ...request, headers: { ...bearer(token), ...request.headers } }), { requestId: `req-${subject}`, credentials: functionCredentials });
  if (response.statusCode === 200) {
    const body = jsonBody(response);
    secretsSeen.add(body['AccessKeySecret'] as string);
    secretsSeen.add(body['SecurityToken'] as string);
  }
  return response;
}

beforeAll(async () => {
  sts = await StsEmulator.start();
  issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-test');
  functionCredentials = sts.createFunctionCredentials();
  secretsSeen.add(functionCredentials.accessKeySecret);
  secretsSeen.add(functionCredentials.securityToken);
});

afterEach(() => sts.setFault(null));

afterAll(async () => {
  await sts.close();
});

describe('vend-token', () => {
  it('returns scoped STS credentials in the JSON the OSS mobile SDKs parse', async () => {
    // Prepare
    const handler = handlerFor();
    // Act
    const response = await vend(handler, 'alice');
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['Cache-Control']).toBe('no-store');
    const body = jsonBody(response);
    expect(body).toMatchObject({ StatusCode: 200, Bucket: 'photos', Region: 'cn-hangzhou', Scope: 'user', Prefix: 'users/alice/' });
    expect(body['AccessKeyId']).toMatch(/^STS\./);
    expect(body['Expiration']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const issued = sts.findIssued(body['AccessKeyId'] as string);
    expect(issued?.issued.accessKeySecret).toBe(body['AccessKeySecret']);
    expect(issued?.issued.securityToken).toBe(body['SecurityToken']);
    expect(issued?.issued.expiration).toBe(body['Expiration']);
  });

  it('asks STS for the caller’s own prefix, under the function role, with a traceable session name', async () => {
    const handler = handlerFor();
    const response = await vend(handler, 'bob');
    const issued = sts.findIssued(jsonBody(response)['AccessKeyId'] as string);
    expect(issued?.roleArn).toBe(sts.defaultRoleArn);
    expect(issued?.roleSessionName).toBe('bob');
    expect(issued?.callerAccessKeyId).toBe(functionCredentials.accessKeyId);
    expect(issued?.durationSeconds).toBe(3600);
    expect(JSON.parse(issued?.policy ?? '{}')).toEqual({
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'], Resource: ['acs:oss:*:*:photos/users/bob/*'] }],
    });
  });

  it('serves a second request of the same user from the cache, without calling STS', async () => {
    const handler = handlerFor();
    const first = jsonBody(await vend(handler, 'carol'));
    const callsAfterFirst = sts.assumeRoleCalls;
    const second = jsonBody(await vend(handler, 'carol'));
    expect(sts.assumeRoleCalls).toBe(callsAfterFirst);
    expect(second['AccessKeyId']).toBe(first['AccessKeyId']);
  });

  it('makes exactly one STS call for 50 concurrent first requests of one user', async () => {
    const handler = handlerFor();
    sts.setFault({ kind: 'slow', delayMs: 100 });
    const before = sts.assumeRoleCalls;
    const responses = await Promise.all(Array.from({ length: 50 }, () => vend(handler, 'dave')));
    expect(sts.assumeRoleCalls - before).toBe(1);
    expect(new Set(responses.map((response) => jsonBody(response)['AccessKeyId'])).size).toBe(1);
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
  });

  it('keeps users apart: different users get different credentials and prefixes', async () => {
    const handler = handlerFor();
    const [user1, user10] = await Promise.all([vend(handler, 'user1'), vend(handler, 'user10')]);
    expect(jsonBody(user1)['Prefix']).toBe('users/user1/');
    expect(jsonBody(user10)['Prefix']).toBe('users/user10/');
    expect(jsonBody(user1)['AccessKeyId']).not.toBe(jsonBody(user10)['AccessKeyId']);
  });

  it('vends a requested scope given in the query or in a JSON body', async () => {
    const scopes = JSON.stringify({ user: { prefix: 'users/${sub}/', actions: ['read', 'write'] }, shared: { prefix: 'shared/', actions: ['read', 'list'] } });
    const handler = handlerFor({ TVM_SCOPES: scopes, TVM_DEFAULT_SCOPE: 'user' });
    const fromQuery = await vend(handler, 'erin', { query: { scope: 'shared' } });
    const fromBody = await vend(handler, 'erin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"scope":"shared"}' });
    expect(jsonBody(fromQuery)).toMatchObject({ Scope: 'shared', Prefix: 'shared/' });
    expect(jsonBody(fromBody)).toMatchObject({ Scope: 'shared', Prefix: 'shared/' });
    const policy = JSON.parse(sts.findIssued(jsonBody(fromQuery)['AccessKeyId'] as string)?.policy ?? '{}');
    expect(policy.Statement[1]).toEqual({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['acs:oss:*:*:photos'], Condition: { StringLike: { 'oss:Prefix': ['shared/*'] } } });
  });

  describe('refuses bad requests with a status and a stable code', () => {
    it.each(([
      ['no token', {}, 401, 'InvalidToken'],
      ['an unknown scope', { query: { scope: 'admin' } }, 403, 'UnknownScope'],
      ['a wrong method', { method: 'DELETE' }, 405, 'MethodNotAllowed'],
      ['a body that is not JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{scope' }, 400, 'MalformedRequest'],
      ['a body of another content type', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'scope=user' }, 415, 'UnsupportedMediaType'],
      ['a body over the limit', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"scope":"${'x'.repeat(5000)}"}` }, 413, 'PayloadTooLarge'],
      ['invalid base64', { method: 'POST', body: '!!!', isBase64Encoded: true }, 400, 'MalformedRequest'],
    ] as const).filter(([name]) => name !== 'invalid base64' || adapterName() === 'event'))('%s', async (_case, request, status, code) => {
      const handler = handlerFor();
      const headers = 'query' in request || 'method' in request ? bearer(await tokenFor('frank')) : {};
      const response = await handler(httpEvent({ ...request, headers: { ...headers, ...('headers' in request ? request.headers : {}) } }), { requestId: 'req-refusal', credentials: functionCredentials });
      expect(response.statusCode).toBe(status);
      expect(jsonBody(response)).toEqual({ StatusCode: status, ErrorCode: code, ErrorMessage: expect.any(String), RequestId: 'req-refusal' });
      expect(response.body).not.toMatch(/at .*\.ts:\d+|Error:/);
    });

    it.runIf(adapterName() === 'event')('answers an event that is not an HTTP event with 400', async () => {
      const response = await handlerFor()(Buffer.from('not json'), { requestId: 'r' });
      expect(response.statusCode).toBe(400);
      expect(jsonBody(response)['ErrorCode']).toBe('MalformedRequest');
    });

    it('refuses an identity that may not enter a policy', async () => {
      const response = await vend(handlerFor(), 'alice/../bob');
      expect(response.statusCode).toBe(403);
      expect(jsonBody(response)['ErrorCode']).toBe('InvalidIdentity');
    });

    it('answers 500 MissingFunctionCredentials when the function has no role', async () => {
      const response = await handlerFor()(httpEvent({ headers: bearer(await tokenFor('gina')) }), { requestId: 'r' });
      expect(response.statusCode).toBe(500);
      expect(jsonBody(response)['ErrorCode']).toBe('MissingFunctionCredentials');
    });
  });

  describe('when STS fails', () => {
    it('answers 503 StsThrottled with Retry-After when STS throttles', async () => {
      sts.setFault({ kind: 'throttle' });
      const response = await vend(handlerFor(), 'henry');
      expect(response.statusCode).toBe(503);
      expect(response.headers['Retry-After']).toMatch(/^\d+$/);
      expect(jsonBody(response)['ErrorCode']).toBe('StsThrottled');
    });

    it('retries throttling and succeeds when STS recovers', async () => {
      sts.setFault({ kind: 'throttle' }, { count: 1 });
      const before = sts.assumeRoleCalls;
      const response = await vend(handlerFor(), 'ivan');
      expect(response.statusCode).toBe(200);
      expect(sts.assumeRoleCalls - before).toBe(2);
    });

    it('answers 503 StsUnavailable for STS 5xx', async () => {
      sts.setFault({ kind: 'server-error', status: 500 });
      const response = await vend(handlerFor(), 'judy');
      expect(response.statusCode).toBe(503);
      expect(jsonBody(response)['ErrorCode']).toBe('StsUnavailable');
    });

    it('answers 503 StsUnavailable within the deadline when STS hangs', async () => {
      sts.setFault({ kind: 'hang' });
      const started = Date.now();
      const response = await vend(handlerFor(), 'kim');
      expect(response.statusCode).toBe(503);
      expect(jsonBody(response)['ErrorCode']).toBe('StsUnavailable');
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it.each([['malformed-json'], ['wrong-content-type']] as const)('answers 502 StsInvalidResponse for a %s reply', async (kind) => {
      sts.setFault({ kind });
      const response = await vend(handlerFor(), `leo-${kind}`);
      expect(response.statusCode).toBe(502);
      expect(jsonBody(response)['ErrorCode']).toBe('StsInvalidResponse');
      expect(response.body).not.toContain('<html');
    });

    it('answers 502 with the STS code, never the upstream body, when STS refuses', async () => {
      const handler = handlerFor({ TVM_ROLE_ARN: `acs:ram::${sts.accountId}:role/no-such-role` });
      const response = await vend(handler, 'mia');
      expect(response.statusCode).toBe(502);
      const body = jsonBody(response);
      expect(body['ErrorCode']).toBe('Sts.EntityNotExist.Role');
      expect(response.body).not.toContain('HostId');
    });

    it('serves a cached credential with at least 5 minutes left while STS is down, and never caches the error', async () => {
      // Prepare: a clock the test moves, so the cached entry ages into its last 10 minutes.
      let clock = Date.now();
      const handler = served('vend-token', createVendTokenFunction(environment(), {
        logger: createLogger((line) => logLines.push(line)),
        now: () => clock,
        sts: new StsClient({ endpoint: sts.url, attemptTimeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, deadlineMs: 800 } }),
      }));
      const cached = jsonBody(await vend(handler, 'nina'));
      clock += 52 * 60_000;
      // Act: STS fails while 8 minutes are left.
      sts.setFault({ kind: 'server-error' });
      const before = sts.assumeRoleCalls;
      const whileDown = await vend(handler, 'nina');
      // Assess: STS was asked (the entry was no longer fresh), and the cached entry was served.
      expect(sts.assumeRoleCalls).toBeGreaterThan(before);
      expect(whileDown.statusCode).toBe(200);
      expect(jsonBody(whileDown)['AccessKeyId']).toBe(cached['AccessKeyId']);
      // Four minutes left: too little to hand out, so the failure shows.
      clock += 4 * 60_000;
      const tooOld = await vend(handler, 'nina');
      expect(tooOld.statusCode).toBe(503);
      // Recovery: the next request gets fresh credentials; the failure was not cached.
      sts.setFault(null);
      const recovered = await vend(handler, 'nina');
      expect(recovered.statusCode).toBe(200);
      expect(jsonBody(recovered)['AccessKeyId']).not.toBe(cached['AccessKeyId']);
    });

    it('asks STS again once a cached credential has less than 10 minutes left', async () => {
      let clock = Date.now();
      const handler = served('vend-token', createVendTokenFunction(environment(), { logger: createLogger((line) => logLines.push(line)), now: () => clock }));
      const first = jsonBody(await vend(handler, 'olga'));
      clock += 49 * 60_000;
      const stillFresh = jsonBody(await vend(handler, 'olga'));
      clock += 2 * 60_000;
      const renewed = jsonBody(await vend(handler, 'olga'));
      expect(stillFresh['AccessKeyId']).toBe(first['AccessKeyId']);
      expect(renewed['AccessKeyId']).not.toBe(first['AccessKeyId']);
    });
  });

  describe('browsers', () => {
    it('answers a preflight from an allowed origin, and lets it read the credentials', async () => {
      const handler = handlerFor({ TVM_CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
      const preflight = await handler(httpEvent({ method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' } }), { requestId: 'p' });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
      expect(preflight.headers['Access-Control-Allow-Headers']).toContain('Authorization');
      const response = await vend(handler, 'ruth', { headers: { Origin: 'https://app.example.com' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    });

    it('gives other origins no CORS permission, and no origin any when none is configured', async () => {
      const configured = handlerFor({ TVM_CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
      const foreign = await vend(configured, 'sam', { headers: { Origin: 'https://evil.example.com' } });
      expect(foreign.headers['Access-Control-Allow-Origin']).toBeUndefined();
      const unconfigured = await handlerFor()(httpEvent({ method: 'OPTIONS', headers: { Origin: 'https://app.example.com' } }), { requestId: 'o' });
      expect(unconfigured.headers['Access-Control-Allow-Origin']).toBeUndefined();
    });
  });

  describe('configuration', () => {
    it('answers every request with 500 naming the bad variable, and logs it once', async () => {
      const lines: string[] = [];
      const handler = served('vend-token', createVendTokenFunction(environment({ TVM_BUCKET: 'Not_A_Bucket' }), { logger: createLogger((line) => lines.push(line)) }));
      const first = await handler(httpEvent(), { requestId: 'a' });
      const second = await handler(httpEvent(), { requestId: 'b' });
      for (const response of [first, second]) {
        expect(response.statusCode).toBe(500);
        expect(jsonBody(response)['ErrorCode']).toBe('InvalidConfiguration');
        expect(jsonBody(response)['ErrorMessage']).toContain('TVM_BUCKET');
      }
      expect(lines.filter((line) => line.includes('cannot start'))).toHaveLength(1);
    });
  });

  describe('logs', () => {
    it('writes one JSON line per request with identity, scope, cache and STS request id', async () => {
      const lines: string[] = [];
      const handler = served('vend-token', createVendTokenFunction(environment(), { logger: createLogger((line) => lines.push(line)) }));
      await vend(handler, 'paula');
      await vend(handler, 'paula');
      const [miss, hit] = lines.map((line) => JSON.parse(line));
      expect(lines).toHaveLength(2);
      expect(miss).toMatchObject({ requestId: 'req-paula', function: 'vend-token', identity: 'paula', scope: 'user', cache: 'miss', status: 200 });
      expect(miss.stsRequestId).toMatch(/^[0-9A-F-]{36}$/);
      expect(hit).toMatchObject({ cache: 'hit', status: 200 });
      expect(typeof hit.durationMs).toBe('number');
    });

    it('never contain a secret, security token or JWT used anywhere in this file', () => {
      // Runs last in this file: every request above logged through logLines.
      expect(logLines.length).toBeGreaterThan(20);
      const all = logLines.join('\n');
      for (const secret of secretsSeen) {
        expect(secret.length).toBeGreaterThan(10);
        expect(all).not.toContain(secret);
      }
      expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    });
  });
});
