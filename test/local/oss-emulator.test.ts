import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OssEmulator, credentialsFromSts } from '../../local/oss-emulator';
import type { AssumeRoleRecord } from '../../local/sts-emulator';
import type { CredentialRecord } from '../../local/oss-emulator';
import { authenticate } from '../../local/oss-emulator/authenticate';
import type { CredentialLookup } from '../../local/oss-emulator/authenticate';
import { OssError } from '../../local/oss-emulator/errors';
import { authorizeRequest } from '../../local/oss-emulator/policy';
import type { PolicyRequest } from '../../local/oss-emulator/policy';
import type { OssRequest, QueryEntry } from '../../local/oss-emulator/request';
import { addressings } from '../../local/oss-emulator/request';
import { v1Signature, v1StringToSign } from '../../local/oss-emulator/signature-v1';
import { v4CanonicalRequest } from '../../local/oss-emulator/signature-v4';
import { listKeys } from '../../local/oss-emulator/store';
import { AliOss, type AliOssClient, type AliOssError } from '../helpers/ali-oss';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function request(method: string, bucket: string | undefined, key: string, headers: Record<string, string>, query: QueryEntry[] = []): OssRequest {
  return { method, bucket, key, headers, query };
}

function lookup(records: Record<string, CredentialRecord>): CredentialLookup {
  return (accessKeyId) => records[accessKeyId];
}

/** The refusal `act` throws, as `{status, code}`. */
function refusal(act: () => unknown): { status: number; code: string } {
  try {
    act();
  } catch (error) {
    if (error instanceof OssError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('expected a refusal');
}

function isoBasic(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

const AK_SK = lookup({ ak: { accessKeySecret: 'sk' } });
const AK_SK_TOKEN = lookup({ ak: { accessKeySecret: 'sk', securityToken: 'token' } });

// ---------------------------------------------------------------------------------------------
// V1 verifier: published vectors (notes/oss-signing.md §4.2, Go v2 SDK signer_test.go)
// ---------------------------------------------------------------------------------------------

describe('OSS emulator V1 verifier', () => {
  const DATE = 'Wed, 28 Dec 2022 10:27:41 GMT';
  const DATE_MS = Date.parse(DATE);
  const headers = (authorization: string): Record<string, string> => ({
    'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==',
    'content-type': 'text/html',
    'x-oss-date': DATE,
    'x-oss-meta-author': 'alice',
    'x-oss-meta-magic': 'abracadabra',
    authorization,
  });
  const headerCases: Array<[string, OssRequest, string, string]> = [
    [
      'case 1 (PUT object)',
      request('PUT', 'examplebucket', 'nelson', headers('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=')),
      'PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson',
      'kSHKmLxlyEAKtZPkJhG9bZb5k7M=',
    ],
    [
      'case 2 (?acl sub-resource)',
      request('PUT', 'examplebucket', 'nelson', headers('OSS ak:/afkugFbmWDQ967j1vr6zygBLQk='), [['acl', null]]),
      'PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson?acl',
      '/afkugFbmWDQ967j1vr6zygBLQk=',
    ],
    [
      'case 4 (bucket-level GET, two sub-resources, unsigned parameters ignored)',
      request('GET', 'examplebucket', '', { 'x-oss-date': DATE, authorization: 'OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=' }, [
        ['resourceGroup', null],
        ['prefix', 'ignored/'],
        ['acl', null],
        ['max-keys', '10'],
      ]),
      'GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?acl&resourceGroup',
      'x3E5TgOvl/i7PN618s5mEvpJDYk=',
    ],
  ];

  it.each(headerCases)('builds the published string to sign and signature for %s', (_name, req, stringToSign, signature) => {
    // Act
    const built = v1StringToSign(req, DATE);
    // Assess
    expect(built).toBe(stringToSign);
    expect(v1Signature('sk', built)).toBe(signature);
  });

  it.each(headerCases)('accepts the published Authorization header of %s', (_name, req) => {
    // Act
    const caller = authenticate(req, { credentials: AK_SK, nowMs: DATE_MS + 60_000, region: 'cn-hangzhou' });
    // Assess
    expect(caller).toMatchObject({ accessKeyId: 'ak', kind: 'v1-header' });
  });

  it('refuses the case 1 signature for another key, another secret or a changed header', () => {
    // Prepare
    const [, original] = headerCases[0] ?? [];
    if (!original) throw new Error('missing vector');
    const options = { credentials: AK_SK, nowMs: DATE_MS, region: 'cn-hangzhou' };
    // Act / Assess
    expect(refusal(() => authenticate({ ...original, key: 'nelson2' }, options)).code).toBe('SignatureDoesNotMatch');
    expect(refusal(() => authenticate({ ...original, headers: { ...original.headers, 'x-oss-meta-magic': 'x' } }, options)).code).toBe('SignatureDoesNotMatch');
    expect(refusal(() => authenticate(original, { ...options, credentials: lookup({ ak: { accessKeySecret: 'other' } }) }))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a Date more than 15 minutes from the server clock, and accepts one just inside', () => {
    // Prepare
    const [, original] = headerCases[0] ?? [];
    if (!original) throw new Error('missing vector');
    // Act / Assess
    expect(refusal(() => authenticate(original, { credentials: AK_SK, nowMs: DATE_MS + 15 * 60_000 + 1000, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'RequestTimeTooSkewed' });
    expect(refusal(() => authenticate(original, { credentials: AK_SK, nowMs: DATE_MS - 16 * 60_000, region: 'cn-hangzhou' })).code).toBe('RequestTimeTooSkewed');
    expect(authenticate(original, { credentials: AK_SK, nowMs: DATE_MS + 14 * 60_000, region: 'cn-hangzhou' }).kind).toBe('v1-header');
  });

  const presigned: Array<[string, OssRequest, CredentialLookup, number]> = [
    [
      'without token',
      request('GET', 'bucket', 'key', {}, [
        ['Expires', '1699807420'],
        ['OSSAccessKeyId', 'ak'],
        ['Signature', 'dcLTea+Yh9ApirQ8o8dOPqtvJXQ='],
        ['versionId', 'versionId'],
      ]),
      AK_SK,
      1699807420,
    ],
    [
      'with security-token and a + in the key',
      request('GET', 'bucket', 'key+123', {}, [
        ['Expires', '1699808204'],
        ['OSSAccessKeyId', 'ak'],
        ['Signature', 'jzKYRrM5y6Br0dRFPaTGOsbrDhY='],
        ['security-token', 'token'],
        ['versionId', 'versionId'],
      ]),
      AK_SK_TOKEN,
      1699808204,
    ],
  ];

  it.each(presigned)('accepts the published presigned URL %s before it expires', (_name, req, credentials, expires) => {
    // Act
    const caller = authenticate(req, { credentials, nowMs: (expires - 600) * 1000, region: 'cn-hangzhou' });
    // Assess
    expect(caller).toMatchObject({ accessKeyId: 'ak', kind: 'v1-query' });
    expect(v1StringToSign(req, String(expires))).toMatch(/^GET\n\n\n\d+\n\/bucket\/key(\+123\?security-token=token&|\?)versionId=versionId$/);
  });

  it.each(presigned)('refuses the published presigned URL %s after Expires', (_name, req, credentials, expires) => {
    expect(refusal(() => authenticate(req, { credentials, nowMs: (expires + 1) * 1000, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses STS credentials without their token, with another token, and once expired', () => {
    // Prepare
    const [, withToken] = presigned[1] ?? [];
    if (!withToken) throw new Error('missing vector');
    const nowMs = (1699808204 - 600) * 1000;
    const withoutToken = { ...withToken, query: withToken.query.filter(([name]) => name !== 'security-token') };
    const otherToken = { ...withToken, query: withToken.query.map(([name, value]): QueryEntry => [name, name === 'security-token' ? 'other' : value]) };
    const expired = lookup({ ak: { accessKeySecret: 'sk', securityToken: 'token', expiration: new Date(nowMs - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') } });
    // Act / Assess
    expect(refusal(() => authenticate(withoutToken, { credentials: AK_SK_TOKEN, nowMs, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
    expect(refusal(() => authenticate(otherToken, { credentials: AK_SK_TOKEN, nowMs, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'InvalidSecurityToken' });
    expect(refusal(() => authenticate(withToken, { credentials: expired, nowMs, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'SecurityTokenExpired' });
    expect(refusal(() => authenticate(withToken, { credentials: lookup({}), nowMs, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
  });
});

// ---------------------------------------------------------------------------------------------
// V4 verifier: published vectors (notes/oss-signing.md §4.2, Go v2 SDK TestV4Auth*)
// ---------------------------------------------------------------------------------------------

describe('OSS emulator V4 verifier', () => {
  const KEY = '1234+-/123/1.txt';
  const QUERY: QueryEntry[] = [
    ['param1', 'value1'],
    ['+param1', 'value3'],
    ['|param1', 'value4'],
    ['+param2', null],
    ['|param2', null],
    ['param2', null],
  ];
  const headerRequest = (seconds: number, authorization: string, extra: Record<string, string> = {}): OssRequest =>
    request('PUT', 'bucket', KEY, {
      'x-oss-head1': 'value',
      abc: 'value',
      zabc: 'value',
      xyz: 'value',
      'content-type': 'text/plain',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-oss-date': isoBasic(seconds),
      authorization,
      ...extra,
    }, QUERY);
  const credential = (seconds: number): string => `ak/${isoBasic(seconds).slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;

  it('builds the published canonical request', () => {
    // Act
    const canonical = v4CanonicalRequest(headerRequest(1702743657, ''), []);
    // Assess
    expect(canonical).toBe(
      'PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n' +
        'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
    );
  });

  const headerCases: Array<[string, number, string, CredentialLookup, Record<string, string>]> = [
    ['plain', 1702743657, 'Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe', AK_SK, {}],
    ['with AdditionalHeaders abc;zabc', 1702747512, 'AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f', AK_SK, {}],
    ['with a security token', 1702784856, 'Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea', AK_SK_TOKEN, { 'x-oss-security-token': 'token' }],
  ];

  it.each(headerCases)('accepts the published Authorization header %s at its timestamp', (_name, seconds, tail, credentials, extra) => {
    // Prepare
    const req = headerRequest(seconds, `OSS4-HMAC-SHA256 Credential=${credential(seconds)},${tail}`, extra);
    // Act
    const caller = authenticate(req, { credentials, nowMs: seconds * 1000, region: 'cn-hangzhou' });
    // Assess
    expect(caller).toMatchObject({ accessKeyId: 'ak', kind: 'v4-header' });
  });

  it.each(headerCases)('refuses the published Authorization header %s after a header change, skew or in another region', (_name, seconds, tail, credentials, extra) => {
    // Prepare
    const req = headerRequest(seconds, `OSS4-HMAC-SHA256 Credential=${credential(seconds)},${tail}`, extra);
    const changed = { ...req, headers: { ...req.headers, 'content-type': 'text/html' } };
    // Act / Assess
    expect(refusal(() => authenticate(changed, { credentials, nowMs: seconds * 1000, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(refusal(() => authenticate(req, { credentials, nowMs: (seconds + 16 * 60) * 1000, region: 'cn-hangzhou' })).code).toBe('RequestTimeTooSkewed');
    expect(refusal(() => authenticate(req, { credentials, nowMs: seconds * 1000, region: 'cn-shanghai' })).code).toBe('InvalidArgument');
  });

  const presignedRequest = (seconds: number, extraQuery: QueryEntry[], signature: string): OssRequest =>
    request('PUT', 'bucket', KEY, { 'x-oss-head1': 'value', abc: 'value', zabc: 'value', xyz: 'value', 'content-type': 'application/octet-stream' }, [
      ...QUERY,
      ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
      ['x-oss-date', isoBasic(seconds)],
      ['x-oss-expires', '599'],
      ['x-oss-credential', credential(seconds)],
      ...extraQuery,
      ['x-oss-signature', signature],
    ]);
  const presignedCases: Array<[string, number, QueryEntry[], string, CredentialLookup]> = [
    ['plain', 1702781677, [], 'a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe', AK_SK],
    ['with a security token', 1702785388, [['x-oss-security-token', 'token']], '3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5', AK_SK_TOKEN],
    ['with additional headers', 1702783809, [['x-oss-additional-headers', 'abc;zabc']], '6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7', AK_SK],
  ];

  it.each(presignedCases)('accepts the published presigned URL %s within its validity', (_name, seconds, extra, signature, credentials) => {
    // Prepare
    const req = presignedRequest(seconds, extra, signature);
    // Act / Assess
    expect(authenticate(req, { credentials, nowMs: seconds * 1000, region: 'cn-hangzhou' }).kind).toBe('v4-query');
    expect(authenticate(req, { credentials, nowMs: (seconds + 599) * 1000, region: 'cn-hangzhou' }).kind).toBe('v4-query');
  });

  it.each(presignedCases)('refuses the published presigned URL %s once expired or tampered with', (_name, seconds, extra, signature, credentials) => {
    // Prepare
    const req = presignedRequest(seconds, extra, signature);
    const tampered = { ...req, query: req.query.map(([name, value]): QueryEntry => [name, name === 'param1' ? 'value2' : value]) };
    // Act / Assess
    expect(refusal(() => authenticate(req, { credentials, nowMs: (seconds + 600) * 1000, region: 'cn-hangzhou' }))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(refusal(() => authenticate(tampered, { credentials, nowMs: seconds * 1000, region: 'cn-hangzhou' })).code).toBe('SignatureDoesNotMatch');
  });
});

// ---------------------------------------------------------------------------------------------
// Policy evaluation
// ---------------------------------------------------------------------------------------------

describe('OSS emulator policy evaluation (role policy ∩ session policy)', () => {
  const B = 'acs:oss:cn-hangzhou:1234567890123456:my-bucket';
  const allow = (action: string | string[], resource: string | string[], condition?: object): object => ({
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) }],
  });
  const both = (...documents: object[]): object => ({
    Version: '1',
    Statement: documents.flatMap((document) => (document as { Statement: object[] }).Statement),
  });
  const deny = (action: string | string[], resource: string | string[], condition?: object): object => ({
    Version: '1',
    Statement: [{ Effect: 'Deny', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) }],
  });
  const ROLE = allow(['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListParts', 'oss:AbortMultipartUpload', 'oss:ListObjects'], ['acs:oss:*:*:my-bucket', 'acs:oss:*:*:my-bucket/*']);
  const ALICE = both(
    allow(['oss:GetObject', 'oss:PutObject'], 'acs:oss:*:*:my-bucket/users/alice/*'),
    allow('oss:ListObjects', 'acs:oss:*:*:my-bucket', { StringLike: { 'oss:Prefix': 'users/alice/*' } }),
  );
  const get = (key: string): PolicyRequest => ({ action: 'oss:GetObject', resource: `${B}/${key}` });
  const put = (key: string): PolicyRequest => ({ action: 'oss:PutObject', resource: `${B}/${key}` });
  const list = (prefix: string | undefined): PolicyRequest => ({ action: 'oss:ListObjects', resource: B, context: { 'oss:Prefix': prefix ?? '' } });

  const table: Array<[string, unknown, unknown, PolicyRequest, boolean]> = [
    ['role allow + session allow → allow', ROLE, ALICE, get('users/alice/a.txt'), true],
    ['role allow + session silent on the action → deny', ROLE, ALICE, { action: 'oss:DeleteObject', resource: `${B}/users/alice/a.txt` }, false],
    ['role allow + session silent on the resource → deny', ROLE, ALICE, get('users/bob/a.txt'), false],
    ['session allow + role silent → deny', allow('oss:ListObjects', `${B}`), ALICE, get('users/alice/a.txt'), false],
    ['role allow + no session policy → allow', ROLE, undefined, get('anything/else.txt'), true],
    ['no role policy → deny even with a session allow', undefined, ALICE, get('users/alice/a.txt'), false],
    ['explicit Deny in the session policy wins', ROLE, both(ALICE, deny('oss:*', 'acs:oss:*:*:my-bucket/users/alice/secret/*')), get('users/alice/secret/k'), false],
    ['explicit Deny in the role policy wins', both(ROLE, deny('oss:PutObject', 'acs:oss:*:*:my-bucket/*')), ALICE, put('users/alice/a.txt'), false],
    ['Deny elsewhere does not deny', ROLE, both(ALICE, deny('oss:*', 'acs:oss:*:*:my-bucket/users/alice/secret/*')), get('users/alice/public/k'), true],
    ['wildcard region/account resource matches', allow('oss:GetObject', 'acs:oss:*:*:my-bucket/*'), undefined, get('x/y/z'), true],
    ['another account does not match', allow('oss:GetObject', 'acs:oss:*:999:my-bucket/*'), undefined, get('x'), false],
    ['another bucket does not match', ROLE, undefined, { action: 'oss:GetObject', resource: 'acs:oss:cn-hangzhou:1234567890123456:other/x' }, false],
    ['users/alice/* does not match users/alice2/x', ROLE, ALICE, get('users/alice2/x'), false],
    ['? matches exactly one character', ROLE, allow('oss:GetObject', 'acs:oss:*:*:my-bucket/users/alice/?.txt'), get('users/alice/a.txt'), true],
    ['? does not match two characters', ROLE, allow('oss:GetObject', 'acs:oss:*:*:my-bucket/users/alice/?.txt'), get('users/alice/ab.txt'), false],
    ['* matches across /', ROLE, allow('oss:GetObject', 'acs:oss:*:*:my-bucket/users/*/avatar.png'), get('users/alice/deep/avatar.png'), true],
    ['action wildcard oss:Get* allows GetObject', allow('oss:Get*', 'acs:oss:*:*:my-bucket/*'), undefined, get('k'), true],
    ['action wildcard oss:Get* does not allow PutObject', allow('oss:Get*', 'acs:oss:*:*:my-bucket/*'), undefined, put('k'), false],
    ['actions compare case-insensitively', allow('oss:getobject', 'acs:oss:*:*:my-bucket/*'), undefined, get('k'), true],
    ['resources compare case-sensitively', allow('oss:GetObject', 'acs:oss:*:*:my-bucket/Users/*'), undefined, get('users/k'), false],
    ['object resource bucket/* does not grant ListObjects', allow('oss:ListObjects', 'acs:oss:*:*:my-bucket/*'), undefined, list('users/alice/'), false],
    ['ListObjects with oss:Prefix inside the StringLike pattern → allow', ROLE, ALICE, list('users/alice/photos/'), true],
    ['ListObjects with oss:Prefix outside the StringLike pattern → deny', ROLE, ALICE, list('users/bob/'), false],
    ['ListObjects without prefix (empty oss:Prefix) → deny', ROLE, ALICE, list(undefined), false],
    ['conditional Allow without the matching StringEquals value → deny', ROLE, allow('oss:ListObjects', `acs:oss:*:*:my-bucket`, { StringEquals: { 'oss:Prefix': 'users/alice/' } }), list('users/alice/x/'), false],
    ['conditional Allow with the matching StringEquals value → allow', ROLE, allow('oss:ListObjects', `acs:oss:*:*:my-bucket`, { StringEquals: { 'oss:Prefix': ['users/bob/', 'users/alice/'] } }), list('users/alice/'), true],
    ['condition keys compare case-insensitively', ROLE, allow('oss:ListObjects', `acs:oss:*:*:my-bucket`, { StringLike: { 'OSS:prefix': 'users/alice/*' } }), list('users/alice/'), true],
    ['Deny with StringNotLike denies outside the pattern', both(ROLE, deny('oss:ListObjects', 'acs:oss:*:*:my-bucket', { StringNotLike: { 'oss:Prefix': 'users/alice/*' } })), undefined, list('users/bob/'), false],
    ['Deny with StringNotLike does not deny inside the pattern', both(ROLE, deny('oss:ListObjects', 'acs:oss:*:*:my-bucket', { StringNotLike: { 'oss:Prefix': 'users/alice/*' } })), undefined, list('users/alice/a'), true],
    ['an unsupported condition operator never allows', ROLE, allow('oss:GetObject', 'acs:oss:*:*:my-bucket/*', { IpAddress: { 'acs:SourceIp': '0.0.0.0/0' } }), get('k'), false],
    ['a malformed session policy allows nothing', ROLE, '{"Statement": [', get('users/alice/a.txt'), false],
    ['policy documents as JSON text work', JSON.stringify(ROLE), JSON.stringify(ALICE), get('users/alice/a.txt'), true],
  ];

  it.each(table)('%s', (_name, rolePolicy, sessionPolicy, req, allowed) => {
    // Act
    const result = authorizeRequest(sessionPolicy === undefined ? { rolePolicy } : { rolePolicy, sessionPolicy }, req);
    // Assess
    expect(result.allowed).toBe(allowed);
  });
});

// ---------------------------------------------------------------------------------------------
// Small pure pieces
// ---------------------------------------------------------------------------------------------

describe('OSS emulator credentialsFromSts', () => {
  it('reads secret, token, expiry, role and session policy from an STS emulator AssumeRole record', () => {
    // Prepare
    const record: AssumeRoleRecord = {
      roleArn: 'acs:ram::1:role/app',
      roleSessionName: 'alice',
      policy: '{"Version":"1","Statement":[]}',
      durationSeconds: 900,
      callerAccessKeyId: 'STS.caller',
      issued: { accessKeyId: 'STS.issued', accessKeySecret: 'secret', securityToken: 'token', expiration: '2030-01-01T00:15:00Z' },
    };
    const lookUp = credentialsFromSts({ findIssued: (id) => (id === 'STS.issued' ? record : undefined) });
    // Act / Assess
    expect(lookUp('STS.issued')).toEqual({
      accessKeySecret: 'secret',
      securityToken: 'token',
      expiration: '2030-01-01T00:15:00Z',
      roleArn: 'acs:ram::1:role/app',
      sessionPolicy: '{"Version":"1","Statement":[]}',
    });
    expect(lookUp('STS.other')).toBeUndefined();
  });
});

describe('OSS emulator addressing and listing', () => {
  it('reads path style on an IP or localhost Host and virtual-host style on a bucket Host', () => {
    expect(addressings('/b/a%20b/c%2Bd', '127.0.0.1:9000')).toEqual([{ bucket: 'b', key: 'a b/c+d', style: 'path' }]);
    expect(addressings('/b/', 'localhost:9000')).toEqual([{ bucket: 'b', key: '', style: 'path' }]);
    expect(addressings('/k/x', 'b.oss-cn-hangzhou.aliyuncs.com')).toEqual([{ bucket: 'b', key: 'k/x', style: 'virtual-host' }]);
    expect(addressings('/b/k', 'b.localhost:9000').map((a) => [a.style, a.key])).toEqual([['path', 'k'], ['virtual-host', 'b/k']]);
    expect(addressings('/b/k', 'oss-cn-hangzhou.aliyuncs.com')).toEqual([{ bucket: 'b', key: 'k', style: 'path' }]);
    expect(addressings('/k', 'oss-b.oss-cn-hangzhou.aliyuncs.com', new Set(['oss-b']))).toEqual([{ bucket: 'oss-b', key: 'k', style: 'virtual-host' }]);
  });

  it('rolls keys up into common prefixes and pages after the last entry', () => {
    // Prepare
    const keys = ['a/1', 'a/2', 'b', 'c/1', 'c/2/3', 'd'];
    // Act
    const first = listKeys(keys, { prefix: '', delimiter: '/', maxKeys: 2, after: '' });
    const second = listKeys(keys, { prefix: '', delimiter: '/', maxKeys: 2, after: first.next ?? '' });
    // Assess
    expect(first).toEqual({ keys: ['b'], commonPrefixes: ['a/'], isTruncated: true, next: 'b' });
    expect(second).toEqual({ keys: ['d'], commonPrefixes: ['c/'], isTruncated: false });
    expect(second.next).toBeUndefined();
    expect(listKeys(keys, { prefix: 'a/', delimiter: '/', maxKeys: 1, after: '' })).toEqual({ keys: ['a/1'], commonPrefixes: [], isTruncated: true, next: 'a/1' });
    expect(listKeys(keys, { prefix: '', delimiter: '/', maxKeys: 1, after: 'a/' })).toEqual({ keys: ['b'], commonPrefixes: [], isTruncated: true, next: 'b' });
  });
});

// ---------------------------------------------------------------------------------------------
// Over HTTP, with ali-oss 6.23.0 as the client
// ---------------------------------------------------------------------------------------------

describe('OSS emulator over HTTP with ali-oss', () => {
  const BUCKET = 'oss-tvm-test';
  const ROLE_ARN = 'acs:ram::1234567890123456:role/oss-tvm-app';
  const ROLE_POLICY = {
    Version: '1',
    Statement: [
      { Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListParts', 'oss:AbortMultipartUpload'], Resource: [`acs:oss:*:*:${BUCKET}/*`] },
      { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ],
  };
  const SESSION_POLICY = JSON.stringify({
    Version: '1',
    Statement: [
      { Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListParts', 'oss:AbortMultipartUpload'], Resource: [`acs:oss:*:*:${BUCKET}/users/alice/*`] },
      { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`], Condition: { StringLike: { 'oss:Prefix': 'users/alice/*' } } },
    ],
  });
  const inOneHour = (): string => new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const credentials = new Map<string, CredentialRecord>();
  let clockOffsetMs = 0;
  let oss: OssEmulator;

  interface Keys {
    accessKeyId: string;
    accessKeySecret: string;
    securityToken: string;
  }
  let sequence = 0;
  function issue(overrides: Partial<CredentialRecord> = {}): Keys {
    sequence += 1;
    const keys = { accessKeyId: `STS.test${sequence}`, accessKeySecret: `secret-${sequence}`, securityToken: `token-${sequence}` };
    credentials.set(keys.accessKeyId, { accessKeySecret: keys.accessKeySecret, securityToken: keys.securityToken, expiration: inOneHour(), roleArn: ROLE_ARN, sessionPolicy: SESSION_POLICY, ...overrides });
    return keys;
  }
  function client(keys: Keys, options: Record<string, unknown> = {}): AliOssClient {
    return new AliOss({
      endpoint: oss.url,
      bucket: BUCKET,
      region: 'oss-cn-hangzhou',
      accessKeyId: keys.accessKeyId,
      accessKeySecret: keys.accessKeySecret,
      stsToken: keys.securityToken,
      refreshSTSTokenInterval: 3600_000,
      sldEnable: true,
      timeout: 10_000,
      ...options,
    });
  }
  async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
    try {
      await promise;
    } catch (error) {
      const { status, code } = error as AliOssError;
      return { status, code };
    }
    throw new Error('expected the request to fail');
  }

  beforeAll(async () => {
    oss = await OssEmulator.start({
      buckets: [BUCKET],
      credentials: (id) => credentials.get(id),
      rolePolicies: { [ROLE_ARN]: ROLE_POLICY },
      now: () => Date.now() + clockOffsetMs,
    });
  });
  afterAll(async () => {
    await oss.close();
  });
  beforeEach(() => {
    oss.reset();
    clockOffsetMs = 0;
  });

  describe.each([
    ['V1, path style (sldEnable)', { sldEnable: true }],
    ['V1, virtual-host style (IP endpoint, Host header)', { sldEnable: false }],
    ['V4, path style', { sldEnable: true, authorizationV4: true }],
    ['V4, virtual-host style', { sldEnable: false, authorizationV4: true }],
  ])('%s', (_name, options) => {
    it('puts, gets, heads and deletes an object', async () => {
      // Prepare
      const alice = client(issue(), options);
      const body = Buffer.from('hello, OSS emulator');
      // Act
      const put = await alice.put('users/alice/hello world+1.txt', body, { meta: { owner: 'alice' } });
      const got = await alice.get('users/alice/hello world+1.txt');
      const head = await alice.head('users/alice/hello world+1.txt');
      await alice.delete('users/alice/hello world+1.txt');
      const gone = await failure(alice.get('users/alice/hello world+1.txt'));
      // Assess
      const md5 = createHash('md5').update(body).digest('hex').toUpperCase();
      expect(put.res.headers['etag']).toBe(`"${md5}"`);
      expect(got.content.equals(body)).toBe(true);
      expect(head.res.headers['content-length']).toBe(String(body.length));
      expect(head.meta).toEqual({ owner: 'alice' });
      expect(gone).toEqual({ status: 404, code: 'NoSuchKey' });
      expect(oss.objects(BUCKET).size).toBe(0);
    });

    it('lists with a prefix and a delimiter', async () => {
      // Prepare
      const alice = client(issue(), options);
      for (const key of ['users/alice/a.txt', 'users/alice/photos/1.jpg', 'users/alice/photos/2.jpg', 'users/alice/docs/x.pdf']) {
        await alice.put(key, Buffer.from(key));
      }
      // Act
      const listed = await alice.listV2({ prefix: 'users/alice/', delimiter: '/' });
      // Assess
      expect(listed.objects?.map((object) => object.name)).toEqual(['users/alice/a.txt']);
      expect(listed.prefixes).toEqual(['users/alice/docs/', 'users/alice/photos/']);
      expect(listed.keyCount).toBe(3);
      expect(listed.isTruncated).toBe(false);
    });
  });

  it('gets byte ranges with 206 and Content-Range, and refuses an unsatisfiable range with 416', async () => {
    // Prepare
    const alice = client(issue());
    await alice.put('users/alice/range.txt', Buffer.from('0123456789'));
    // Act
    const middle = await alice.get('users/alice/range.txt', null, { headers: { Range: 'bytes=2-5' } });
    const tail = await alice.get('users/alice/range.txt', null, { headers: { Range: 'bytes=-3' } });
    const open = await alice.get('users/alice/range.txt', null, { headers: { Range: 'bytes=7-' } });
    const beyond = await failure(alice.get('users/alice/range.txt', null, { headers: { Range: 'bytes=10-' } }));
    // Assess
    expect([middle.res.status, middle.content.toString(), middle.res.headers['content-range']]).toEqual([206, '2345', 'bytes 2-5/10']);
    expect(tail.content.toString()).toBe('789');
    expect(open.content.toString()).toBe('789');
    expect(beyond).toEqual({ status: 416, code: 'InvalidRange' });
  });

  it.each([
    ['V1', {}],
    ['V4', { authorizationV4: true }],
  ])('uploads 2.5 MB in three 1 MB parts (%s) with a multipart ETag', async (_name, options) => {
    // Prepare
    const alice = client(issue(), options);
    const body = Buffer.alloc(2.5 * 1024 * 1024);
    for (let index = 0; index < body.length; index += 1) body[index] = (index * 31) % 251;
    // Act
    await alice.multipartUpload('users/alice/big.bin', body, { partSize: 1024 * 1024, parallel: 2 });
    const got = await alice.get('users/alice/big.bin');
    // Assess
    const parts = [body.subarray(0, 1 << 20), body.subarray(1 << 20, 2 << 20), body.subarray(2 << 20)];
    const expected = createHash('md5').update(Buffer.concat(parts.map((part) => createHash('md5').update(part).digest()))).digest('hex').toUpperCase();
    const stored = oss.objects(BUCKET).get('users/alice/big.bin');
    expect(stored?.etag).toBe(`"${expected}-3"`);
    expect(got.res.headers['etag']).toBe(`"${expected}-3"`);
    expect(got.res.headers['x-oss-object-type']).toBe('Multipart');
    expect(got.content.equals(body)).toBe(true);
  });

  it('refuses a completion with an unknown part, and any use of an aborted upload', async () => {
    // Prepare
    const alice = client(issue());
    const { uploadId } = await alice.initMultipartUpload('users/alice/abort.bin');
    // Act
    const listed = await alice.listParts('users/alice/abort.bin', uploadId);
    const badPart = await failure(alice.completeMultipartUpload('users/alice/abort.bin', uploadId, [{ number: 1, etag: '"0123456789ABCDEF0123456789ABCDEF"' }]));
    await alice.abortMultipartUpload('users/alice/abort.bin', uploadId);
    const afterAbort = await failure(alice.listParts('users/alice/abort.bin', uploadId));
    // Assess
    expect(listed.parts).toEqual([]);
    expect(badPart).toEqual({ status: 400, code: 'InvalidPart' });
    expect(afterAbort).toEqual({ status: 404, code: 'NoSuchUpload' });
  });

  it('pages ListObjects (marker) and ListObjectsV2 (continuation token)', async () => {
    // Prepare
    const alice = client(issue());
    const keys = ['users/alice/1', 'users/alice/2', 'users/alice/3'];
    for (const key of keys) await alice.put(key, Buffer.from(key));
    // Act
    const v1First = await alice.list({ prefix: 'users/alice/', 'max-keys': 2 });
    const v1Second = await alice.list({ prefix: 'users/alice/', 'max-keys': 2, marker: v1First.nextMarker ?? '' });
    const v2First = await alice.listV2({ prefix: 'users/alice/', 'max-keys': 2 });
    const v2Second = await alice.listV2({ prefix: 'users/alice/', 'max-keys': 2, 'continuation-token': v2First.nextContinuationToken ?? '' });
    // Assess
    expect([v1First.objects?.map((o) => o.name), v1First.isTruncated, v1First.nextMarker]).toEqual([keys.slice(0, 2), true, 'users/alice/2']);
    expect([v1Second.objects?.map((o) => o.name), v1Second.isTruncated]).toEqual([keys.slice(2), false]);
    expect([v2First.objects?.map((o) => o.name), v2First.isTruncated]).toEqual([keys.slice(0, 2), true]);
    expect([v2Second.objects?.map((o) => o.name), v2Second.isTruncated]).toEqual([keys.slice(2), false]);
  });

  it('refuses what the session policy does not allow, though the role allows it', async () => {
    // Prepare
    const alice = client(issue());
    // Act / Assess
    expect(await failure(alice.put('users/bob/x.txt', Buffer.from('x')))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await failure(alice.put('users/alice2/x.txt', Buffer.from('x')))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await failure(alice.listV2({ prefix: 'users/bob/' }))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await failure(alice.list({}))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('refuses everything to a role without a policy', async () => {
    // Prepare
    const stranger = client(issue({ roleArn: 'acs:ram::1234567890123456:role/other' }));
    // Act / Assess
    expect(await failure(stranger.put('users/alice/x.txt', Buffer.from('x')))).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses a wrong secret, a missing or wrong token, expired credentials and a skewed clock', async () => {
    // Prepare
    const keys = issue();
    const expired = issue({ expiration: new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    // Act / Assess
    expect(await failure(client({ ...keys, accessKeySecret: 'wrong' }).put('users/alice/x', Buffer.from('x')))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await failure(client({ ...keys, accessKeySecret: 'wrong' }, { authorizationV4: true }).put('users/alice/x', Buffer.from('x')))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await failure(client(keys, { stsToken: undefined }).get('users/alice/x'))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
    expect(await failure(client({ ...keys, securityToken: 'forged' }).get('users/alice/x'))).toEqual({ status: 403, code: 'InvalidSecurityToken' });
    expect(await failure(client(expired).get('users/alice/x'))).toEqual({ status: 403, code: 'SecurityTokenExpired' });
    expect(await failure(client({ ...keys, accessKeyId: 'STS.unknown' }).get('users/alice/x'))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
    clockOffsetMs = 16 * 60_000;
    expect(await failure(client(keys).get('users/alice/x'))).toEqual({ status: 403, code: 'RequestTimeTooSkewed' });
    expect(await failure(client(keys, { authorizationV4: true }).get('users/alice/x'))).toEqual({ status: 403, code: 'RequestTimeTooSkewed' });
  });

  it('verifies Content-MD5 when sent', async () => {
    // Prepare
    const alice = client(issue());
    const wrong = createHash('md5').update('something else').digest('base64');
    // Act
    const refused = await failure(alice.put('users/alice/md5.txt', Buffer.from('content'), { headers: { 'Content-MD5': wrong } }));
    // Assess
    expect(refused).toEqual({ status: 400, code: 'InvalidDigest' });
    expect(oss.objects(BUCKET).has('users/alice/md5.txt')).toBe(false);
  });

  it('serves a V1 presigned GET URL carrying security-token, and refuses it once altered', async () => {
    // Prepare
    const keys = issue();
    await client(keys).put('users/alice/shared.txt', Buffer.from('shared'));
    const signer = client(keys, { endpoint: oss.url.replace('127.0.0.1', 'localhost') });
    const url = signer.signatureUrl('users/alice/shared.txt', { expires: 300 }).replace('//localhost:', '//127.0.0.1:');
    // Act
    const ok = await fetch(url);
    const altered = await fetch(url.replace('shared.txt', 'shared2.txt'));
    // Assess
    expect(url).toContain('security-token=');
    expect([ok.status, await ok.text()]).toEqual([200, 'shared']);
    expect(altered.status).toBe(403);
    expect(await altered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('serves a V4 presigned GET URL (signatureUrlV4)', async () => {
    // Prepare
    const keys = issue();
    await client(keys).put('users/alice/shared-v4.txt', Buffer.from('shared v4'));
    const signer = client(keys, { endpoint: oss.url.replace('127.0.0.1', 'localhost'), authorizationV4: true });
    const url = (await signer.signatureUrlV4('GET', 300, undefined, 'users/alice/shared-v4.txt')).replace('//localhost:', '//127.0.0.1:');
    // Act
    const ok = await fetch(url);
    // Assess
    expect(url).toContain('x-oss-security-token=');
    expect([ok.status, await ok.text()]).toEqual([200, 'shared v4']);
  });

  it("answers errors in OSS's XML shape with x-oss-request-id", async () => {
    // Act
    const anonymous = await fetch(`${oss.url}/${BUCKET}/users/alice/x`);
    const noBucket = await fetch(`${oss.url}/no-such-bucket/x`);
    // Assess
    const text = await anonymous.text();
    const requestId = anonymous.headers.get('x-oss-request-id') ?? '';
    expect(anonymous.status).toBe(403);
    expect(anonymous.headers.get('content-type')).toBe('application/xml');
    expect(requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(text).toMatch(
      new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<Error>\\n  <Code>AccessDenied</Code>\\n  <Message>[^<]+</Message>\\n  <RequestId>${requestId}</RequestId>\\n  <HostId>127.0.0.1:\\d+</HostId>\\n`),
    );
    expect(noBucket.status).toBe(404);
    expect(await noBucket.text()).toContain('<Code>NoSuchBucket</Code>');
    expect(oss.requests).toBe(2);
  });

  it('keeps keys that start with the bucket name apart in virtual-host style', async () => {
    // Prepare: a role-only session (no session policy), so any key is allowed
    const owner = client(issue({ sessionPolicy: undefined }), { sldEnable: false });
    // Act
    await owner.put(`${BUCKET}/nested.txt`, Buffer.from('nested'));
    const got = await owner.get(`${BUCKET}/nested.txt`);
    // Assess
    expect([...oss.objects(BUCKET).keys()]).toEqual([`${BUCKET}/nested.txt`]);
    expect(got.content.toString()).toBe('nested');
  });
});
