/**
 * The end-to-end tests' own V4 client (oss-v4-client.ts) is right before anything is built on it:
 * it reproduces the Kotlin v2 and Swift v2 SDKs' published RemoteSignerV4Test vectors through a delegate that
 * signs as that test's delegate does, and ali-oss signUtils builds the same canonical requests.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aliOssSignUtils } from '../../helpers/ali-oss';
import { type RemoteSignerV4Info, type V4Request, prepareHeaderAuth, preparePresigned, remoteSignerV4Info, requestUrl, withAuthorization, withQuerySignature } from './oss-v4-client';

/**
 * The vectors of alibabacloud-oss-kotlin-sdk-v2
 * oss-sdk/src/commonTest/kotlin/com/aliyun/kotlin/sdk/service/oss2/signer/RemoteSignerV4Test.kt at
 * commit 13cbeacbff62622c88614b4e01875d91a9addd72 (testAuthHeader, testAuthQuery), the same values and
 * expectations as alibabacloud-oss-swift-sdk-v2 Tests/OSSUnitTests/Signer/RemoteSignerV4Tests.swift at
 * commit e208a6c3c55847f90944a5bb4453c2e2ce00f1b1: credentials ak/sk,
 * bucket `bucket`, key `1234+-/123/1.txt`, cn-hangzhou, query
 * `param1=value1&+param1=value3&|param1=value4&+param2=&|param2=&param2=`, headers `x-oss-head1`, `abc`,
 * `ZAbc`, `XYZ` (all `value`) and a Content-Type.
 */
const VECTOR_REQUEST = {
  method: 'PUT',
  bucket: 'bucket',
  key: '1234+-/123/1.txt',
  query: { param1: 'value1', '+param1': 'value3', '|param1': 'value4', '+param2': '', '|param2': '', param2: '' },
};
const VECTOR_HEADERS = { 'x-oss-head1': 'value', abc: 'value', ZAbc: 'value', XYZ: 'value' };
const AK = { accessKeyId: 'ak', region: 'cn-hangzhou' };

/** What the SDK test's `SignatureV4Impl` delegate does: the V4 HMAC chain over the map, with secret `sk`. */
function delegateWithSecret(secret: string, info: RemoteSignerV4Info): string {
  const step = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = step(step(step(step(`aliyun_v4${secret}`, info.date), info.region), info.product), 'aliyun_v4_request');
  return createHmac('sha256', signingKey).update(info.stringToSign, 'utf8').digest('hex');
}

/** The same request for ali-oss: parameters without a value as `null`, as its `qs` writes them bare. */
function aliOssQueries(request: V4Request): Record<string, string | null> {
  return Object.fromEntries(Object.entries(request.query ?? {}).map(([name, value]) => [name, value ? value : null]));
}

describe('the end-to-end V4 client', () => {
  it('reproduces testAuthHeader: the Authorization value the SDK test expects', () => {
    // Prepare
    const request: V4Request = { ...VECTOR_REQUEST, headers: { ...VECTOR_HEADERS, 'content-type': 'text/plain' } };
    // Act
    const prepared = prepareHeaderAuth(request, AK, new Date(1_702_743_657_000));
    const signed = withAuthorization(prepared, 'ak', delegateWithSecret('sk', remoteSignerV4Info(prepared, AK)));
    // Assess
    expect(signed.headers?.['Authorization']).toBe('OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe');
    expect(requestUrl('http://h', signed)).toContain('/bucket/1234%2B-/123/1.txt?');
  });

  it('reproduces testAuthQuery: x-oss-expires 599 and the x-oss-signature the SDK test expects', () => {
    // Prepare
    const request: V4Request = { ...VECTOR_REQUEST, headers: { ...VECTOR_HEADERS, 'content-type': 'application/octet-stream' } };
    // Act
    const prepared = preparePresigned(request, AK, new Date(1_702_781_677_000), 1_702_782_276 - 1_702_781_677);
    const signed = withQuerySignature(prepared, delegateWithSecret('sk', remoteSignerV4Info(prepared, AK)));
    // Assess
    const url = requestUrl('http://h', signed);
    expect(url).toContain('x-oss-expires=599');
    expect(url).toContain('x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request');
    expect(url).toContain('x-oss-signature=a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe');
    expect(url).not.toContain('x-oss-additional-headers');
  });

  it('hands the delegate the map RemoteSignerV4.kt builds: version, method, bucket, key, stringToSign, region, product, date, accessKeyId', () => {
    // Act
    const info = remoteSignerV4Info(prepareHeaderAuth({ method: 'get', bucket: 'b', key: 'k.txt' }, { ...AK, securityToken: 'token' }, new Date(1_702_743_657_000)), { ...AK, securityToken: 'token' });
    // Assess
    expect(Object.keys(info).sort()).toEqual(['accessKeyId', 'bucket', 'date', 'key', 'method', 'product', 'region', 'stringToSign', 'version']);
    expect(info).toMatchObject({ version: 'v4', method: 'GET', bucket: 'b', key: 'k.txt', region: 'cn-hangzhou', product: 'oss', date: '20231216', accessKeyId: 'ak' });
    expect(info.stringToSign).toMatch(/^OSS4-HMAC-SHA256\n20231216T162057Z\n20231216\/cn-hangzhou\/oss\/aliyun_v4_request\n[0-9a-f]{64}$/);
  });

  it.each([
    ['a put with metadata, a token and Content-MD5', { method: 'PUT', bucket: 'oss-tvm-sandbox', key: 'users/alice/a b+c/ü.txt', headers: { 'Content-Type': 'text/plain', 'Content-MD5': 'eB5eJF1ptWaXm4bijSPyxw==', 'x-oss-meta-Owner': ' alice ' } }, ['host']],
    ['an UploadPart', { method: 'PUT', bucket: 'oss-tvm-sandbox', key: 'users/alice/big.bin', query: { partNumber: '2', uploadId: '0004B9895DBBB6EC98E36' } }, []],
    ['an InitiateMultipartUpload', { method: 'POST', bucket: 'oss-tvm-sandbox', key: 'users/alice/big.bin', query: { uploads: null } }, []],
  ] as const)('builds the canonical request and string to sign ali-oss builds for %s', (_name, request: V4Request, additional: readonly string[]) => {
    // Prepare
    const identity = { ...AK, securityToken: 'CAIS+token/=' };
    const headersWithHost = additional.includes('host') ? { ...request.headers, host: 'oss.example' } : request.headers;
    // Act
    const prepared = prepareHeaderAuth({ ...request, ...(headersWithHost ? { headers: headersWithHost } : {}) }, identity, new Date(1_800_000_000_000), additional);
    // Assess
    const oracle = aliOssSignUtils.getCanonicalRequest(request.method, { headers: { ...prepared.request.headers }, queries: aliOssQueries(request) }, request.bucket, request.key, [...additional]);
    expect(prepared.canonicalRequest).toBe(oracle);
    expect(prepared.stringToSign).toBe(aliOssSignUtils.getStringToSign('cn-hangzhou', prepared.dateTime, oracle));
    expect(delegateWithSecret('secret', remoteSignerV4Info(prepared, identity))).toBe(aliOssSignUtils.getSignatureV4('secret', prepared.dateTime.slice(0, 8), 'cn-hangzhou', prepared.stringToSign));
  });
});
