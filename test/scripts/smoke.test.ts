/** `npm run smoke`: its network-free pieces, its steps against the sandbox, and the command itself. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { listen } from '../../local/listen';
import { describeRefusal, describeRequestError, ossErrorCode } from '../../scripts/smoke/describe-failure';
import { SMOKE_EXIT_CODES, SMOKE_USAGE, functionUrl, parseSmokeCommand } from '../../scripts/smoke/options';
import { createOssClient } from '../../scripts/smoke/oss-client';
import { objectUrl, usesPathStyle } from '../../scripts/smoke/oss-endpoint';
import { REDACTED, type SmokeStep, StepFailure, runSmokeSteps } from '../../scripts/smoke/runner';
import { checkSignReply, putStringToSign, signedPutRequest, smokeObjectKeys } from '../../scripts/smoke/smoke-objects';
import { smokeSteps } from '../../scripts/smoke/steps';
import { putCanonicalRequest } from '../../scripts/smoke/v4-self-signing';
import { checkVendTokenResponse } from '../../scripts/smoke/vend-token-response';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { aliOssSignUtils } from '../helpers/ali-oss';

const VEND_TOKEN_URL = 'https://vend-token-abc.cn-hangzhou.fcapp.run/';
const SIGN_REQUEST_URL = 'https://sign-request-abc.cn-hangzhou.fcapp.run/';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const NOW = new Date('2026-11-23T09:00:00.000Z');

describe('parseSmokeCommand', () => {
  const allFlags = ['--vend-token-url', VEND_TOKEN_URL, '--sign-request-url', SIGN_REQUEST_URL, '--scope', 'user', '--oss-endpoint', 'http://127.0.0.1:9100'];
  const tokenVariable = { TVM_SMOKE_TOKEN: TOKEN };
  const allVariables = {
    TVM_SMOKE_VEND_TOKEN_URL: 'https://env-vend.example.com/',
    TVM_SMOKE_SIGN_REQUEST_URL: 'https://env-sign.example.com/',
    TVM_SMOKE_TOKEN: 'env-token',
    TVM_SMOKE_SCOPE: 'shared',
    TVM_SMOKE_OSS_ENDPOINT: 'http://127.0.0.1:9200',
  };

  it('reads every input but the token from its flag', () => {
    // Act
    const command = parseSmokeCommand(allFlags, tokenVariable);
    // Assess
    expect(command).toEqual({
      kind: 'run',
      options: { vendTokenUrl: VEND_TOKEN_URL, signRequestUrl: SIGN_REQUEST_URL, token: TOKEN, scope: 'user', ossEndpoint: 'http://127.0.0.1:9100' },
    });
  });

  it('reads every input from its TVM_SMOKE_* variable when no flag gives it', () => {
    expect(parseSmokeCommand([], allVariables)).toEqual({
      kind: 'run',
      options: { vendTokenUrl: 'https://env-vend.example.com/', signRequestUrl: 'https://env-sign.example.com/', token: 'env-token', scope: 'shared', ossEndpoint: 'http://127.0.0.1:9200' },
    });
  });

  it('prefers each flag over its variable', () => {
    expect(parseSmokeCommand(allFlags, { ...allVariables, ...tokenVariable })).toEqual(parseSmokeCommand(allFlags, tokenVariable));
  });

  it('takes some inputs from flags and the others from the environment', () => {
    // Act
    const command = parseSmokeCommand(['--vend-token-url', VEND_TOKEN_URL], { TVM_SMOKE_VEND_TOKEN_URL: 'https://env-vend.example.com/', TVM_SMOKE_SIGN_REQUEST_URL: SIGN_REQUEST_URL, TVM_SMOKE_TOKEN: 'env-token' });
    // Assess
    expect(command).toEqual({ kind: 'run', options: { vendTokenUrl: VEND_TOKEN_URL, signRequestUrl: SIGN_REQUEST_URL, token: 'env-token' } });
  });

  it.each([['--token', TOKEN], [`--token=${TOKEN}`], ['--token']])('refuses the token on the command line (%s), pointing to TVM_SMOKE_TOKEN without echoing it', (...argv) => {
    // Act
    const command = parseSmokeCommand([...allFlags, ...argv], tokenVariable);
    // Assess
    expect(command.kind).toBe('usage-error');
    const message = command.kind === 'usage-error' ? command.message : '';
    expect(message).toMatch(/^smoke: the token is not taken from the command line, .*set TVM_SMOKE_TOKEN instead/);
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain('\n');
  });

  it('treats an empty flag or variable as unset, and trims the token', () => {
    // Act
    const command = parseSmokeCommand(['--scope='], { ...allVariables, TVM_SMOKE_OSS_ENDPOINT: '', TVM_SMOKE_TOKEN: ` ${TOKEN}\n` });
    // Assess
    expect(command).toMatchObject({ kind: 'run', options: { scope: 'shared', token: TOKEN } });
    expect(command.kind === 'run' && 'ossEndpoint' in command.options).toBe(false);
  });

  it('answers --help with the usage text, even when inputs are missing', () => {
    // Act
    const command = parseSmokeCommand(['--help'], {});
    // Assess
    expect(command).toEqual({ kind: 'help', usage: SMOKE_USAGE });
    for (const name of ['--vend-token-url', '--sign-request-url', '--scope', '--oss-endpoint', 'TVM_SMOKE_VEND_TOKEN_URL', 'TVM_SMOKE_SIGN_REQUEST_URL', 'TVM_SMOKE_TOKEN', 'TVM_SMOKE_SCOPE', 'TVM_SMOKE_OSS_ENDPOINT']) {
      expect(SMOKE_USAGE).toContain(name);
    }
    expect(SMOKE_USAGE).not.toContain('--token');
  });

  it('is shown in README with the token in TVM_SMOKE_TOKEN, never as a flag npm would echo', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/TVM_SMOKE_TOKEN=[^\n]*\n?[^\n]*npm run smoke -- --vend-token-url/);
    expect(readme).not.toMatch(/--token[ =]/);
  });

  it('says in its usage that a scope without delete is fine: the deletes are skipped', () => {
    expect(SMOKE_USAGE).not.toMatch(/must grant delete/);
    expect(SMOKE_USAGE).toMatch(/grants no delete[^.]*, the deletes are skipped/);
  });

  it('names every missing required input, with its variable, in one line', () => {
    // Act
    const command = parseSmokeCommand(['--scope', 'user'], {});
    // Assess
    expect(command.kind).toBe('usage-error');
    const message = command.kind === 'usage-error' ? command.message : '';
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^smoke: missing --vend-token-url \(or TVM_SMOKE_VEND_TOKEN_URL\), --sign-request-url \(or TVM_SMOKE_SIGN_REQUEST_URL\), TVM_SMOKE_TOKEN\./);
  });

  it.each([
    ['--vend-token-url', 'ftp://example.com/'],
    ['--sign-request-url', 'not a url'],
    ['--oss-endpoint', 'oss-cn-hangzhou.aliyuncs.com'],
  ])('refuses %s %j, which is not an http:// or https:// URL', (flag, value) => {
    // Act
    const command = parseSmokeCommand([...allFlags, flag, value], tokenVariable);
    // Assess
    expect(command).toEqual({ kind: 'usage-error', message: `smoke: ${flag} (or ${flagVariable(flag)}) must be an http:// or https:// URL. Run with --help for usage.` });
  });

  it.each([
    ['an unknown option', ['--tokn=secret-value'], 'smoke: unknown option --tokn.'],
    ['an option without its value', ['--scope'], 'smoke: --scope needs a value'],
    ['an option whose value looks like an option', ['--scope', '--oss-endpoint', 'secret-value'], 'smoke: --scope needs a value'],
    ['a positional argument', ['secret-value'], 'smoke: unexpected argument: this command takes only options.'],
    ['a value for --help', ['--help=secret-value'], 'smoke: --help takes no value.'],
  ])('refuses %s in one line that does not echo any value', (_case, argv, expected) => {
    // Act
    const command = parseSmokeCommand([...allFlags, ...argv], tokenVariable);
    // Assess
    expect(command.kind).toBe('usage-error');
    const message = command.kind === 'usage-error' ? command.message : '';
    expect(message.startsWith(expected)).toBe(true);
    expect(message).not.toContain('secret-value');
    expect(message).not.toContain('\n');
  });

  it('exits 0 on success, 1 on a failed step and 2 on a usage error', () => {
    expect(SMOKE_EXIT_CODES).toEqual({ passed: 0, stepFailed: 1, usageError: 2 });
  });
});

function flagVariable(flag: string): string {
  return `TVM_SMOKE_${flag.slice(2).toUpperCase().replaceAll('-', '_')}`;
}

describe('functionUrl', () => {
  it('asks for a scope with the scope query parameter, keeping the rest of the URL', () => {
    expect(functionUrl('https://example.com/vend?x=1', 'shared team')).toBe('https://example.com/vend?x=1&scope=shared+team');
  });

  it('leaves the URL as it is without a scope', () => {
    expect(functionUrl(VEND_TOKEN_URL, undefined)).toBe(VEND_TOKEN_URL);
  });
});

describe('checkVendTokenResponse', () => {
  const vended = {
    StatusCode: 200,
    AccessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez2UrF',
    AccessKeySecret: 'vended-access-key-secret',
    SecurityToken: 'vended-security-token',
    Expiration: '2026-11-23T10:00:00Z',
    Bucket: 'photos',
    Region: 'cn-hangzhou',
    Endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
    Scope: 'user',
    Prefix: 'users/alice/',
    ServerTime: '2026-11-23T09:00:00Z',
  };
  const requiredFields = ['AccessKeyId', 'AccessKeySecret', 'SecurityToken', 'Expiration', 'Bucket', 'Region', 'Endpoint', 'Prefix'] as const;

  it('accepts the answer the README documents and returns its credentials', () => {
    expect(checkVendTokenResponse(200, vended, NOW)).toEqual({ ok: true, credentials: vended });
  });

  it('accepts an answer without the informative Scope', () => {
    const { Scope: _scope, ...withoutScope } = vended;
    expect(checkVendTokenResponse(200, withoutScope, NOW).ok).toBe(true);
  });

  it.each(requiredFields)('refuses an answer without %s, naming it', (field) => {
    // Prepare
    const { [field]: _removed, ...incomplete } = vended;
    // Act
    const check = checkVendTokenResponse(200, incomplete, NOW);
    // Assess
    expect(check).toEqual({ ok: false, reason: `HTTP 200 breaks the contract: ${field} is missing` });
  });

  it.each(requiredFields.flatMap((field) => [[field, ''], [field, 42], [field, null]] as const))('refuses %s set to %j', (field, value) => {
    expect(checkVendTokenResponse(200, { ...vended, [field]: value }, NOW)).toEqual({ ok: false, reason: `HTTP 200 breaks the contract: ${field} is not a non-empty string` });
  });

  it.each([undefined, '200', 201])('refuses StatusCode %j', (statusCode) => {
    expect(checkVendTokenResponse(200, { ...vended, StatusCode: statusCode }, NOW)).toEqual({ ok: false, reason: 'HTTP 200 breaks the contract: StatusCode is not 200' });
  });

  it.each([
    ['milliseconds', '2026-11-23T10:00:00.000Z'],
    ['an offset instead of Z', '2026-11-23T18:00:00+08:00'],
    ['no zone', '2026-11-23T10:00:00'],
    ['a date only', '2026-11-23'],
    ['a space for T', '2026-11-23 10:00:00Z'],
    ['an HTTP date', 'Mon, 23 Nov 2026 10:00:00 GMT'],
  ])('refuses an Expiration with %s', (_case, expiration) => {
    expect(checkVendTokenResponse(200, { ...vended, Expiration: expiration }, NOW)).toEqual({
      ok: false,
      reason: `HTTP 200 breaks the contract: Expiration "${expiration}" is not yyyy-MM-ddTHH:mm:ssZ (no milliseconds)`,
    });
  });

  it.each(['2026-02-30T10:00:00Z', '2026-11-23T24:00:00Z', '2026-13-01T10:00:00Z'])('refuses the impossible Expiration %s', (expiration) => {
    expect(checkVendTokenResponse(200, { ...vended, Expiration: expiration }, NOW)).toEqual({ ok: false, reason: `HTTP 200 breaks the contract: Expiration "${expiration}" is not a real date` });
  });

  it.each(['2026-11-23T09:00:00Z', '2026-11-23T08:59:59Z', '2020-01-01T00:00:00Z'])('refuses the Expiration %s, which is not after now', (expiration) => {
    expect(checkVendTokenResponse(200, { ...vended, Expiration: expiration }, NOW)).toEqual({ ok: false, reason: `HTTP 200 breaks the contract: Expiration "${expiration}" is not in the future` });
  });

  it.each([
    ['Bucket', 'Photos_Bucket', 'Bucket is not a valid OSS bucket name'],
    ['Endpoint', 'oss-cn-hangzhou.aliyuncs.com', 'Endpoint is not an http:// or https:// URL'],
    ['Prefix', 'users/alice', 'Prefix "users/alice" does not end with "/" or starts with "/"'],
    ['Prefix', '/users/alice/', 'Prefix "/users/alice/" does not end with "/" or starts with "/"'],
    ['Scope', 7, 'Scope is not a string'],
  ])('refuses a malformed %s (%j)', (field, value, problem) => {
    expect(checkVendTokenResponse(200, { ...vended, [field]: value }, NOW)).toEqual({ ok: false, reason: `HTTP 200 breaks the contract: ${problem}` });
  });

  it('names every problem of an answer at once', () => {
    // Act
    const check = checkVendTokenResponse(200, { ...vended, AccessKeyId: undefined, Expiration: '2026-11-23T10:00:00.5Z', Prefix: '' }, NOW);
    // Assess
    expect(check.ok === false && check.reason.split('; ')).toHaveLength(3);
  });

  it('reports a refusal by status, ErrorCode, ErrorMessage and RequestId', () => {
    // Act
    const check = checkVendTokenResponse(401, { StatusCode: 401, ErrorCode: 'InvalidToken', ErrorMessage: 'The token has expired.', RequestId: '1-abc' }, NOW);
    // Assess
    expect(check).toEqual({ ok: false, reason: 'HTTP 401 InvalidToken: The token has expired. (request 1-abc)' });
  });

  it('reports a 200 whose body is not a JSON object', () => {
    expect(checkVendTokenResponse(200, undefined, NOW)).toEqual({ ok: false, reason: 'HTTP 200 with a body that is not a JSON object' });
    expect(checkVendTokenResponse(200, [vended], NOW)).toEqual({ ok: false, reason: 'HTTP 200 with a body that is not a JSON object' });
  });

  it('never puts the vended secret or security token in a reason', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12 }),
        fc.string({ minLength: 12 }),
        fc.constantFrom<Record<string, unknown>>({ Expiration: '2026-11-23T10:00:00.000Z' }, { Bucket: '' }, { Prefix: 'x' }, { StatusCode: 500 }, { Endpoint: 'nope' }),
        (secret, token, breakage) => {
          const check = checkVendTokenResponse(200, { ...vended, AccessKeySecret: secret, SecurityToken: token, ...breakage }, NOW);
          return !check.ok && !check.reason.includes(secret) && !check.reason.includes(token);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('describeRefusal', () => {
  it('reads the functions\' JSON error from the body text', () => {
    expect(describeRefusal(403, '{"StatusCode":403,"ErrorCode":"KeyNotAllowed","ErrorMessage":"Not yours.","RequestId":"1-x"}')).toBe('HTTP 403 KeyNotAllowed: Not yours. (request 1-x)');
  });

  it('gives only the status for a body that is not the functions\' JSON', () => {
    expect(describeRefusal(502, '<html>Bad Gateway</html>')).toBe('HTTP 502');
    expect(describeRefusal(404, undefined)).toBe('HTTP 404');
  });
});

describe('describeRequestError', () => {
  it('describes an OSS error from ali-oss by status, code and request id', () => {
    expect(describeRequestError(Object.assign(new Error('You have no right to access this object.'), { name: 'AccessDeniedError', status: 403, code: 'AccessDenied', requestId: '5C3D' }))).toBe('HTTP 403 AccessDenied (request 5C3D)');
  });

  it('describes a refused connection from ali-oss in a few words, without its agent statistics', () => {
    // Prepare: the error ali-oss 6.23.0 throws for a port where nothing listens.
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9, PUT http://127.0.0.1:9/users/alice/x.txt -1 (connected: false, keepalive socket: false, agent status: {"createSocketCount":1})\nheaders: {}'), { name: 'RequestError', status: -1, code: 'RequestError' });
    // Act + Assess
    expect(describeRequestError(error)).toBe('connection refused (ECONNREFUSED)');
  });

  it('describes a network error from fetch by its cause', () => {
    expect(describeRequestError(new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x.invalid'), { code: 'ENOTFOUND' }) }))).toBe('host not found (ENOTFOUND)');
  });

  it('describes a timeout of fetch or ali-oss as such', () => {
    expect(describeRequestError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe('timed out');
    expect(describeRequestError(Object.assign(new Error('Response timeout for 15000ms'), { name: 'ResponseTimeoutError', status: -2 }))).toBe('timed out');
  });

  it('keeps anything else to its first line', () => {
    expect(describeRequestError(new TypeError('fetch failed', { cause: new Error('bad port') }))).toBe('fetch failed: bad port');
    expect(describeRequestError('two\nlines')).toBe('two');
  });
});

describe('ossErrorCode', () => {
  it('reads the Code of an OSS XML error', () => {
    expect(ossErrorCode('<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>SignatureDoesNotMatch</Code>\n  <Message>…</Message>\n</Error>')).toBe('SignatureDoesNotMatch');
    expect(ossErrorCode('')).toBeUndefined();
  });
});

describe('smokeObjectKeys', () => {
  it('stamps the keys with the run time and puts the refused one at the bucket root', () => {
    expect(smokeObjectKeys('users/alice/', new Date('2024-11-27T06:40:30.123Z'))).toEqual({
      inside: 'users/alice/oss-tvm-smoke-20241127T064030123Z.txt',
      outside: 'oss-tvm-smoke-outside-20241127T064030123Z.txt',
      signed: 'users/alice/oss-tvm-smoke-signed-20241127T064030123Z.txt',
      signedV4: 'users/alice/oss-tvm-smoke-signed-v4-20241127T064030123Z.txt',
    });
  });
});

describe('putCanonicalRequest', () => {
  it('builds the V4 canonical request of a PutObject that ali-oss builds for the same headers', () => {
    // Prepare
    const put = { bucket: 'photos', key: 'users/alice/a b+c.txt', contentType: 'text/plain', date: new Date('2024-11-27T06:40:30Z'), securityToken: 'CAIS+/=' };
    const headers = { 'content-type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-date': '20241127T064030Z', 'x-oss-security-token': 'CAIS+/=' };
    // Act / Assess
    expect(putCanonicalRequest(put)).toBe(aliOssSignUtils.getCanonicalRequest('PUT', { headers }, 'photos', 'users/alice/a b+c.txt'));
  });
});

describe('putStringToSign', () => {
  const put = { bucket: 'photos', key: 'users/alice/oss-tvm-smoke-signed-20241127T064030000Z.txt', contentType: 'text/plain', date: new Date('2024-11-27T06:40:30Z') };

  it('builds the V1 string-to-sign of a PutObject as the Android SDK does', () => {
    expect(putStringToSign(put)).toBe('PUT\n\ntext/plain\nWed, 27 Nov 2024 06:40:30 GMT\n/photos/users/alice/oss-tvm-smoke-signed-20241127T064030000Z.txt');
  });

  it('writes the day of the month with two digits, as RFC 1123 wants', () => {
    expect(putStringToSign({ ...put, date: new Date('2024-11-03T00:00:05Z') })).toContain('\nSun, 03 Nov 2024 00:00:05 GMT\n');
  });

  it('is what sign-request\'s own parser reads as a PUT of that key, with no x-oss headers', () => {
    // Act
    const parsed = parseStringToSign(putStringToSign(put));
    // Assess
    expect(parsed).toEqual({ verb: 'PUT', contentMd5: '', contentType: 'text/plain', date: { kind: 'date', time: put.date.getTime() }, headers: [], bucket: 'photos', key: put.key, subresources: [] });
  });
});

describe('checkSignReply', () => {
  const authorization = 'OSS STS.NUgYrLnoC37mZZCNnAbez2UrF:KU5h8YMUC78M30dXqf3JxrTZHiA=';
  const tokenHeaders = (): Headers => new Headers({ 'x-oss-security-token': 'signing-token', 'x-tvm-credentials-expiration': '2026-11-23T10:00:00Z' });

  it('accepts exactly "OSS <AccessKeyId>:<signature>" with the security token header', () => {
    expect(checkSignReply(200, tokenHeaders(), authorization)).toEqual({ ok: true, authorization, securityToken: 'signing-token', credentialsExpiration: '2026-11-23T10:00:00Z' });
  });

  it.each([
    ['a trailing line feed', `${authorization}\n`],
    ['a signature that is not an HMAC-SHA1 in base64', 'OSS STS.abc:c2lnbmF0dXJl'],
    ['no AccessKeyId', 'OSS :KU5h8YMUC78M30dXqf3JxrTZHiA='],
    ['a JSON body', '{"Authorization":"OSS a:b"}'],
  ])('refuses a reply with %s, without echoing it', (_case, body) => {
    // Act
    const check = checkSignReply(200, tokenHeaders(), body);
    // Assess
    expect(check).toEqual({ ok: false, reason: 'HTTP 200 but the body is not exactly "OSS <AccessKeyId>:<signature>"' });
  });

  it('refuses a reply without the x-oss-security-token header', () => {
    expect(checkSignReply(200, new Headers(), authorization)).toEqual({ ok: false, reason: 'HTTP 200 but the x-oss-security-token header is missing' });
  });

  it('reports a refusal by status and ErrorCode', () => {
    expect(checkSignReply(403, new Headers(), '{"StatusCode":403,"ErrorCode":"KeyNotAllowed","ErrorMessage":"The key is outside users/alice/.","RequestId":"1-r"}')).toEqual({
      ok: false,
      reason: 'HTTP 403 KeyNotAllowed: The key is outside users/alice/. (request 1-r)',
    });
  });
});

describe('signedPutRequest', () => {
  it('sends the signed Date and Content-Type with sign-request\'s Authorization and security token', () => {
    // Prepare
    const date = new Date('2024-11-27T06:40:30Z');
    const body = Buffer.from('hello\n');
    // Act
    const request = signedPutRequest({ url: 'https://photos.oss-cn-hangzhou.aliyuncs.com/users/alice/a.txt', contentType: 'text/plain', date, authorization: 'OSS STS.x:sig=', securityToken: 'token', body });
    // Assess
    expect(request).toEqual({
      url: 'https://photos.oss-cn-hangzhou.aliyuncs.com/users/alice/a.txt',
      init: {
        method: 'PUT',
        headers: { Date: 'Wed, 27 Nov 2024 06:40:30 GMT', 'Content-Type': 'text/plain', Authorization: 'OSS STS.x:sig=', 'x-oss-security-token': 'token' },
        body,
      },
    });
  });
});

describe('objectUrl', () => {
  it('addresses an object on an OSS endpoint virtual-host style', () => {
    expect(objectUrl('https://oss-cn-hangzhou.aliyuncs.com', 'photos', 'users/alice/a.txt')).toBe('https://photos.oss-cn-hangzhou.aliyuncs.com/users/alice/a.txt');
  });

  it('keeps the scheme and port of a custom endpoint with a host name', () => {
    expect(objectUrl('http://oss.sandbox.test:9100', 'photos', 'users/alice/a.txt')).toBe('http://photos.oss.sandbox.test:9100/users/alice/a.txt');
  });

  it.each([
    ['http://127.0.0.1:9100', 'http://127.0.0.1:9100/photos/users/alice/a.txt'],
    ['http://localhost:9100/', 'http://localhost:9100/photos/users/alice/a.txt'],
    ['http://[::1]:9100', 'http://[::1]:9100/photos/users/alice/a.txt'],
  ])('addresses an object on the loopback endpoint %s path-style', (endpoint, expected) => {
    expect(usesPathStyle(endpoint)).toBe(true);
    expect(objectUrl(endpoint, 'photos', 'users/alice/a.txt')).toBe(expected);
  });

  it('percent-encodes the key but keeps its slashes', () => {
    expect(objectUrl('https://oss-cn-hangzhou.aliyuncs.com', 'photos', 'users/alice/a b+c#d?.txt')).toBe('https://photos.oss-cn-hangzhou.aliyuncs.com/users/alice/a%20b%2Bc%23d%3F.txt');
  });

  it.each([
    ['https://oss-cn-hangzhou.aliyuncs.com', 'users/alice/oss-tvm-smoke-20241127T064030000Z.txt'],
    ['http://oss.sandbox.test:9100', 'users/alice/a b+c.txt'],
    ['http://127.0.0.1:9100', 'users/alice/a b+c.txt'],
    ['http://localhost:9100', 'users/alice/x.txt'],
  ])('addresses an object on %s exactly as the smoke test\'s ali-oss client does', (endpoint, key) => {
    // Prepare: the client the put, get and delete steps use, and ali-oss's own URL builder.
    const client = createOssClient(credentialsFor(endpoint), endpoint, 1000) as unknown as { _getReqUrl(params: { bucket: string; object: string }): string };
    // Act + Assess
    expect(objectUrl(endpoint, 'photos', key)).toBe(client._getReqUrl({ bucket: 'photos', object: key }));
  });
});

function credentialsFor(endpoint: string): Parameters<typeof createOssClient>[0] {
  return { AccessKeyId: 'STS.id', AccessKeySecret: 'secret', SecurityToken: 'token', Expiration: '2026-11-23T10:00:00Z', Bucket: 'photos', Region: 'cn-hangzhou', Endpoint: endpoint, Prefix: 'users/alice/' };
}

describe('runSmokeSteps', () => {
  const passing = (name: string, detail = 'fine'): SmokeStep => ({ name, run: async () => detail });

  it('prints one ✓ line per step, in order, and reports that every step passed', async () => {
    // Prepare
    const lines: string[] = [];
    // Act
    const result = await runSmokeSteps([passing('first', 'one'), passing('second', 'two')], { writeLine: (line) => lines.push(line) });
    // Assess
    expect(lines).toEqual(['✓ first: one', '✓ second: two']);
    expect(result).toEqual({ passed: true });
  });

  it('stops at the first failure, prints its reason on a ✗ line and runs nothing after it', async () => {
    // Prepare
    const lines: string[] = [];
    let laterStepRan = false;
    const steps: SmokeStep[] = [
      passing('vend-token'),
      { name: 'put', run: async () => { throw new StepFailure('connection refused (ECONNREFUSED)'); } },
      { name: 'get', run: async () => { laterStepRan = true; return 'never'; } },
    ];
    // Act
    const result = await runSmokeSteps(steps, { writeLine: (line) => lines.push(line) });
    // Assess
    expect(lines).toEqual(['✓ vend-token: fine', '✗ put: connection refused (ECONNREFUSED)']);
    expect(result).toEqual({ passed: false, failedStep: 'put' });
    expect(laterStepRan).toBe(false);
  });

  it('prints an unexpected error by its name and message', async () => {
    // Prepare
    const lines: string[] = [];
    // Act
    await runSmokeSteps([{ name: 'get', run: async () => { throw new RangeError('out of range'); } }], { writeLine: (line) => lines.push(line) });
    // Assess
    expect(lines).toEqual(['✗ get: RangeError: out of range']);
  });

  it('keeps each step to one line', async () => {
    // Prepare
    const lines: string[] = [];
    // Act
    await runSmokeSteps([passing('a', 'two\nlines'), { name: 'b', run: async () => { throw new StepFailure('three\r\n  more\nlines'); } }], { writeLine: (line) => lines.push(line) });
    // Assess
    expect(lines).toEqual(['✓ a: two lines', '✗ b: three more lines']);
  });

  it('never prints a value marked secret, up front or by an earlier step, in a detail or a failure', async () => {
    // Prepare
    const lines: string[] = [];
    const steps: SmokeStep[] = [
      { name: 'vend-token', run: async ({ markSecret }) => { markSecret('vended-secret'); markSecret('vended-token'); return `token ${TOKEN} and secret vended-secret`; } },
      passing('put', 'signed with vended-secret, token vended-token'),
      { name: 'get', run: async () => { throw new Error(`refused vended-token\nand ${TOKEN}`); } },
    ];
    // Act
    await runSmokeSteps(steps, { writeLine: (line) => lines.push(line), secrets: [TOKEN] });
    // Assess
    expect(lines).toEqual([
      `✓ vend-token: token ${REDACTED} and secret ${REDACTED}`,
      `✓ put: signed with ${REDACTED}, token ${REDACTED}`,
      `✗ get: Error: refused ${REDACTED} and ${REDACTED}`,
    ]);
  });

  it('redacts a secret that contains another secret as a whole', async () => {
    // Prepare
    const lines: string[] = [];
    // Act
    await runSmokeSteps([passing('sign-request', 'OSS id:signature')], { writeLine: (line) => lines.push(line), secrets: ['signature', 'OSS id:signature'] });
    // Assess
    expect(lines).toEqual([`✓ sign-request: ${REDACTED}`]);
  });

  it('ignores an empty secret', async () => {
    // Prepare
    const lines: string[] = [];
    // Act
    await runSmokeSteps([{ name: 'a', run: async ({ markSecret }) => { markSecret(''); return 'visible'; } }], { writeLine: (line) => lines.push(line), secrets: [''] });
    // Assess
    expect(lines).toEqual(['✓ a: visible']);
  });
});

/**
 * A stand-in for OSS, path-style on loopback: keeps objects, answers OSS's AccessDenied to keys outside
 * `allowedPrefix` (and to every DELETE with `deniesDeletes`), records every request. It checks no signature.
 */
interface StandInOss {
  readonly endpoint: string;
  readonly requests: { method: string; path: string; headers: IncomingHttpHeaders }[];
  readonly objects: Map<string, Buffer>;
  close(): Promise<void>;
}

async function startStandInOss({ allowedPrefix, deniesDeletes = false }: { allowedPrefix?: string; deniesDeletes?: boolean }): Promise<StandInOss> {
  const requests: StandInOss['requests'] = [];
  const objects = new Map<string, Buffer>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://oss').pathname);
      const key = path.split('/').slice(2).join('/');
      requests.push({ method: request.method ?? '', path, headers: request.headers });
      if ((allowedPrefix !== undefined && !key.startsWith(allowedPrefix)) || (deniesDeletes && request.method === 'DELETE')) {
        response.writeHead(403, { 'Content-Type': 'application/xml', 'x-oss-request-id': 'stand-in' }).end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>You have no right to access this object because of bucket acl.</Message><RequestId>stand-in</RequestId></Error>');
      } else if (request.method === 'PUT') {
        objects.set(key, Buffer.concat(chunks));
        response.writeHead(200, { ETag: '"stand-in"' }).end();
      } else if (request.method === 'GET' && objects.has(key)) {
        response.writeHead(200, { 'Content-Type': 'text/plain' }).end(objects.get(key));
      } else if (request.method === 'DELETE') {
        objects.delete(key);
        response.writeHead(204).end();
      } else {
        response.writeHead(404, { 'Content-Type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      }
    });
  });
  await listen(server, '127.0.0.1', 0);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    objects,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the smoke steps against the sandbox and a stand-in OSS', () => {
  let sandbox: Sandbox;
  let token: string;
  beforeAll(async () => {
    // The user scope grants delete here, so the smoke run can clean up after itself.
    const environment = { TVM_SCOPES: JSON.stringify({ user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete'] }, viewer: { prefix: 'users/${sub}/', actions: ['read', 'write'] } }), TVM_DEFAULT_SCOPE: 'user' };
    sandbox = await startSandbox({ port: 0, environment, logger: { request() {}, event() {} } });
    token = await sandbox.issuer.issue('alice');
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const optionsFor = (ossEndpoint: string): Parameters<typeof smokeSteps>[0] => ({
    vendTokenUrl: sandbox.functionUrls['vend-token'] ?? '',
    signRequestUrl: sandbox.functionUrls['sign-request'] ?? '',
    token,
    ossEndpoint,
  });

  it('takes all ten steps, sends sign-request\'s V4 and V1 signatures to OSS as signed, and prints no secret', async () => {
    // Prepare
    const oss = await startStandInOss({ allowedPrefix: 'users/alice/' });
    const lines: string[] = [];
    try {
      // Act
      const result = await runSmokeSteps(smokeSteps(optionsFor(oss.endpoint)), { writeLine: (line) => lines.push(line), secrets: [token] });
      // Assess
      expect(result, lines.join('\n')).toEqual({ passed: true });
      expect(lines.map((line) => line.slice(0, line.indexOf(':')))).toEqual(['✓ vend-token', '✓ put', '✓ get', '✓ delete', '✓ put outside prefix', '✓ sign-request V4', '✓ signed put V4', '✓ sign-request V1', '✓ signed put V1', '✓ delete signed puts']);
      expect(lines[4]).toMatch(/^✓ put outside prefix: oss-tvm-smoke-outside-\d{8}T\d{9}Z\.txt: denied with HTTP 403 AccessDenied/);
      const signedV4Put = oss.requests.find((request) => request.method === 'PUT' && request.path.includes('-signed-v4-'));
      expect(signedV4Put?.path).toMatch(/^\/oss-tvm-sandbox\/users\/alice\/oss-tvm-smoke-signed-v4-\d{8}T\d{9}Z\.txt$/);
      expect(signedV4Put?.headers['authorization']).toMatch(/^OSS4-HMAC-SHA256 Credential=STS\.[A-Za-z0-9]+\/\d{8}\/cn-hangzhou\/oss\/aliyun_v4_request,Signature=[0-9a-f]{64}$/);
      expect(signedV4Put?.headers['x-oss-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(signedV4Put?.headers['x-oss-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      const signedPut = oss.requests.find((request) => request.method === 'PUT' && request.path.includes('-signed-') && !request.path.includes('-signed-v4-'));
      expect(signedPut?.path).toMatch(/^\/oss-tvm-sandbox\/users\/alice\/oss-tvm-smoke-signed-\d{8}T\d{9}Z\.txt$/);
      expect(signedPut?.headers['content-type']).toBe('text/plain');
      expect(signedPut?.headers['date']).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(signedPut?.headers['authorization']).toMatch(/^OSS STS\.[A-Za-z0-9]+:[A-Za-z0-9+/]{27}=$/);
      expect(signedPut?.headers['x-oss-security-token']).toBeTruthy();
      expect(oss.objects.size).toBe(0);
      const aliOssPut = oss.requests.find((request) => request.method === 'PUT' && !request.path.includes('-signed-'));
      expect(aliOssPut?.headers['authorization']).toMatch(/^OSS4-HMAC-SHA256 Credential=STS\.[A-Za-z0-9]+\/\d{8}\/cn-hangzhou\/oss\/aliyun_v4_request,Signature=[0-9a-f]{64}$/);
      const signatureOf = (authorization: string | undefined): string | undefined => /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1] ?? authorization?.split(':')[1];
      const secrets = oss.requests.flatMap((request) => [request.headers['x-oss-security-token'], signatureOf(request.headers['authorization'])]);
      expect(secrets.every((secret) => typeof secret === 'string' && secret.length > 10)).toBe(true);
      for (const secret of [token, ...secrets]) expect(lines.join('\n')).not.toContain(secret);
    } finally {
      await oss.close();
    }
  });

  it('fails at the outside put when OSS lets it through, and deletes what it wrote', async () => {
    // Prepare
    const oss = await startStandInOss({});
    const lines: string[] = [];
    try {
      // Act
      const result = await runSmokeSteps(smokeSteps(optionsFor(oss.endpoint)), { writeLine: (line) => lines.push(line) });
      // Assess
      expect(result).toEqual({ passed: false, failedStep: 'put outside prefix' });
      expect(lines.at(-1)).toMatch(/^✗ put outside prefix: oss-tvm-smoke-outside-\d{8}T\d{9}Z\.txt was written although it is outside users\/alice\/: the credentials reach too far \(deleted it again\)$/);
      expect(oss.objects.size).toBe(0);
    } finally {
      await oss.close();
    }
  });

  it('fails at the delete with a hint when vend-token grants delete but OSS refuses it', async () => {
    // Prepare
    const oss = await startStandInOss({ allowedPrefix: 'users/alice/', deniesDeletes: true });
    const lines: string[] = [];
    try {
      // Act
      const result = await runSmokeSteps(smokeSteps(optionsFor(oss.endpoint)), { writeLine: (line) => lines.push(line) });
      // Assess
      expect(result).toEqual({ passed: false, failedStep: 'delete' });
      expect(lines.at(-1)).toMatch(/^✗ delete: users\/alice\/oss-tvm-smoke-\d{8}T\d{9}Z\.txt: HTTP 403 AccessDenied \(request stand-in\); vend-token said the scope grants delete, but OSS refused it/);
    } finally {
      await oss.close();
    }
  });

  it('skips the deletes for a scope without delete, writing to fixed keys that the next run overwrites', async () => {
    // Prepare: the viewer scope grants read and write only, like the default scope.
    const oss = await startStandInOss({ allowedPrefix: 'users/alice/', deniesDeletes: true });
    const lines: string[] = [];
    try {
      // Act
      const result = await runSmokeSteps(smokeSteps({ ...optionsFor(oss.endpoint), scope: 'viewer' }), { writeLine: (line) => lines.push(line) });
      // Assess
      expect(result, lines.join('\n')).toEqual({ passed: true });
      expect(lines[3]).toBe('✓ delete: skipped: scope viewer grants no delete, so users/alice/oss-tvm-smoke.txt stays (the next run overwrites it)');
      expect(lines[9]).toBe('✓ delete signed puts: skipped: scope viewer grants no delete, so users/alice/oss-tvm-smoke-signed-v4.txt and users/alice/oss-tvm-smoke-signed.txt stay (the next run overwrites them)');
      expect([...oss.objects.keys()].sort()).toEqual(['users/alice/oss-tvm-smoke-signed-v4.txt', 'users/alice/oss-tvm-smoke-signed.txt', 'users/alice/oss-tvm-smoke.txt']);
    } finally {
      await oss.close();
    }
  });

  it('fails at the V4 signing session when sign-request refuses, naming the refusal', async () => {
    // Prepare: vend-token answers for the default scope; sign-request is asked for a scope that does not exist.
    const oss = await startStandInOss({ allowedPrefix: 'users/alice/' });
    const lines: string[] = [];
    const steps = smokeSteps({ ...optionsFor(oss.endpoint), signRequestUrl: `${sandbox.functionUrls['sign-request']}?scope=admin` });
    try {
      // Act
      const result = await runSmokeSteps(steps, { writeLine: (line) => lines.push(line), secrets: [token] });
      // Assess
      expect(result).toEqual({ passed: false, failedStep: 'sign-request V4' });
      expect(lines.at(-1)).toMatch(/^✗ sign-request V4: signing session: HTTP 403 UnknownScope: /);
    } finally {
      await oss.close();
    }
  });
});

describe('the smoke steps against the sandbox OSS', () => {
  const environment = { TVM_SCOPES: JSON.stringify({ user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete'] } }), TVM_DEFAULT_SCOPE: 'user' };

  async function runAgainst(legacyV1: boolean): Promise<{ result: unknown; lines: string[]; keys: string[] }> {
    const sandbox = await startSandbox({ port: 0, legacyV1, environment, logger: { request() {}, event() {} } });
    try {
      const token = await sandbox.issuer.issue('alice');
      const lines: string[] = [];
      const options = { vendTokenUrl: sandbox.functionUrls['vend-token'] ?? '', signRequestUrl: sandbox.functionUrls['sign-request'] ?? '', token };
      const result = await runSmokeSteps(smokeSteps(options), { writeLine: (line) => lines.push(line), secrets: [token] });
      return { result, lines, keys: [...(sandbox.oss?.objects(sandbox.settings['TVM_BUCKET'] ?? '').keys() ?? [])] };
    } finally {
      await sandbox.close();
    }
  }

  it('passes on a bucket that accepts only V4: OSS accepts the V4 self-signed put and refuses the V1 one', async () => {
    // Act
    const { result, lines, keys } = await runAgainst(false);
    // Assess
    expect(result, lines.join('\n')).toEqual({ passed: true });
    expect(lines[6]).toMatch(/^✓ signed put V4: users\/alice\/oss-tvm-smoke-signed-v4-\d{8}T\d{9}Z\.txt \(\d+ bytes\) to http:\/\/127\.0\.0\.1:\d+: HTTP 200$/);
    expect(lines[8]).toMatch(/^✓ signed put V1: users\/alice\/oss-tvm-smoke-signed-\d{8}T\d{9}Z\.txt: refused with HTTP 403 0002-00000080: this bucket accepts only V4 signatures/);
    expect(lines[9]).toMatch(/^✓ delete signed puts: users\/alice\/oss-tvm-smoke-signed-v4-\d{8}T\d{9}Z\.txt: HTTP 204 \(OSS wrote nothing to users\/alice\/oss-tvm-smoke-signed-\d{8}T\d{9}Z\.txt\)$/);
    expect(keys).toEqual([]);
  });

  it('passes on a legacy bucket, where OSS accepts both self-signed puts', async () => {
    // Act
    const { result, lines, keys } = await runAgainst(true);
    // Assess
    expect(result, lines.join('\n')).toEqual({ passed: true });
    expect(lines[6]).toMatch(/^✓ signed put V4: .* HTTP 200$/);
    expect(lines[8]).toMatch(/^✓ signed put V1: users\/alice\/oss-tvm-smoke-signed-\d{8}T\d{9}Z\.txt \(\d+ bytes\) to http:\/\/127\.0\.0\.1:\d+: HTTP 200$/);
    expect(keys).toEqual([]);
  });
});

/** Runs `npm run smoke` as CI does, in a child process, and resolves with its exit code and output. */
function runSmokeCommand(argv: readonly string[], environment: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TVM_SMOKE_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', ...argv], { env: { ...inherited, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await listen(server, '127.0.0.1', 0);
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm run smoke', () => {
  let sandbox: Sandbox;
  let token: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, environment: {}, logger: { request() {}, event() {} } });
    token = await sandbox.issuer.issue('alice');
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('vends credentials from the sandbox, then fails at the put when OSS cannot be reached, exiting 1', async () => {
    // Prepare
    const ossEndpoint = `http://127.0.0.1:${await closedPort()}`;
    // Act
    const { code, stdout, stderr } = await runSmokeCommand(['--vend-token-url', sandbox.functionUrls['vend-token'] ?? '', '--sign-request-url', sandbox.functionUrls['sign-request'] ?? '', '--oss-endpoint', ossEndpoint], { TVM_SMOKE_TOKEN: token });
    // Assess
    const lines = stdout.trimEnd().split('\n');
    expect(lines, stdout).toHaveLength(2);
    expect(lines[0]).toMatch(/^✓ vend-token: HTTP 200, bucket oss-tvm-sandbox in cn-hangzhou, prefix users\/alice\/ \(scope user\), expires \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z, endpoint http:\/\/127\.0\.0\.1:\d+ \(instead of http:\/\/127\.0\.0\.1:\d+\)$/);
    expect(lines[1]).toMatch(/^✗ put: users\/alice\/oss-tvm-smoke\.txt at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    // Assess: the sandbox's credential cache hands out the same credentials again, so their secrets are known here.
    const vended = (await (await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}` } })).json()) as { AccessKeySecret: string; SecurityToken: string };
    for (const secret of [token, vended.AccessKeySecret, vended.SecurityToken]) expect(stdout).not.toContain(secret);
  });

  it('fails at vend-token with a bad token from the environment, exiting 1 without printing the token', async () => {
    // Prepare
    const badToken = `${token.slice(0, -4)}AAAA`;
    // Act
    const { code, stdout, stderr } = await runSmokeCommand([], {
      TVM_SMOKE_VEND_TOKEN_URL: sandbox.functionUrls['vend-token'] ?? '',
      TVM_SMOKE_SIGN_REQUEST_URL: sandbox.functionUrls['sign-request'] ?? '',
      TVM_SMOKE_TOKEN: badToken,
    });
    // Assess
    expect(stdout).toMatch(/^✗ vend-token: HTTP 401 InvalidToken: .+\n$/);
    expect(code).toBe(1);
    for (const part of [badToken, ...badToken.split('.')]) expect(`${stdout}${stderr}`).not.toContain(part);
  });

  it('exits 2 with a one-line usage error naming TVM_SMOKE_TOKEN, not the token, when the token is given as a flag', async () => {
    // Act
    const { code, stdout, stderr } = await runSmokeCommand(['--vend-token-url', sandbox.functionUrls['vend-token'] ?? '', '--sign-request-url', sandbox.functionUrls['sign-request'] ?? '', '--token', token]);
    // Assess
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^smoke: the token is not taken from the command line[^\n]*TVM_SMOKE_TOKEN[^\n]*\n$/);
    expect(stderr).not.toContain(token);
  });

  it('exits 2 with a one-line usage error when a required input is missing', async () => {
    // Act
    const { code, stdout, stderr } = await runSmokeCommand([], { TVM_SMOKE_TOKEN: token });
    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('smoke: missing --vend-token-url (or TVM_SMOKE_VEND_TOKEN_URL), --sign-request-url (or TVM_SMOKE_SIGN_REQUEST_URL). Run with --help for usage.\n');
  });
});
