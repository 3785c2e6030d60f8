import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import { parseCanonicalRequest, uriEncode } from '../../shared/signing/canonical-request';
import { refusal } from '../helpers/refusal';
import { oftenBe, oftenEqual, oftenInstanceOf, oftenWithin } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** ali-oss 6.23's `getCanonicalRequest` (`lib/common/signUtils.js`): how the SDKs write a canonical request. */
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as {
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
};

const DATE = '20241127T064030Z';
const TIME = Date.UTC(2024, 10, 27, 6, 40, 30);
const SIGNED = { 'x-oss-date': DATE, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };

/** A header-signed canonical request built by ali-oss. */
const build = (method: string, key: string, headers: Record<string, string> = {}, queries: Record<string, string | null> = {}, additional?: string[]): string =>
  aliOss.getCanonicalRequest(method, { headers: { ...SIGNED, ...headers }, queries }, 'photos', key, additional);

/** A presigned canonical request as ali-oss's signatureUrlV4 builds it. */
const presigned = (key: string, queries: Record<string, string | null> = {}, headers: Record<string, string> = {}): string =>
  aliOss.getCanonicalRequest('GET', { headers, queries: { ...queries, 'x-oss-credential': `STS.ak/${DATE.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`, 'x-oss-date': DATE, 'x-oss-expires': '600', 'x-oss-signature-version': 'OSS4-HMAC-SHA256', 'x-oss-security-token': 'CAIS token/+=' } }, 'photos', key);

function expectMalformed(text: string, reason: RegExp): void {
  const error = refusal(() => parseCanonicalRequest(text));
  expect([error.status, error.code]).toEqual([400, 'MalformedStringToSign']);
  expect(error.message).toMatch(/^The canonical request is malformed: /);
  expect(error.message).toMatch(reason);
}

const lines = (text: string): string[] => text.split('\n');
const withLine = (text: string, index: number, value: string): string => {
  const changed = lines(text);
  changed[index < 0 ? changed.length + index : index] = value;
  return changed.join('\n');
};

describe('parseCanonicalRequest', () => {
  describe('what it reads', () => {
    it('reads a header-signed PutObject as ali-oss writes it', () => {
      // Prepare
      const text = build('PUT', 'users/alice/照片 1+2.jpg', { 'Content-Type': 'image/jpeg', 'Content-MD5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'x-oss-meta-owner': 'alice', 'x-oss-security-token': 'CAIS+token' });

      // Act
      const parsed = parseCanonicalRequest(text);

      // Assess
      expect(parsed).toEqual({
        request: {
          verb: 'PUT',
          contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==',
          contentType: 'image/jpeg',
          date: { kind: 'date', time: TIME },
          headers: [['x-oss-content-sha256', 'UNSIGNED-PAYLOAD'], ['x-oss-date', DATE], ['x-oss-meta-owner', 'alice'], ['x-oss-security-token', 'CAIS+token']],
          bucket: 'photos',
          key: 'users/alice/照片 1+2.jpg',
          subresources: [],
        },
        timestamp: DATE,
        additionalHeaders: [],
        securityToken: 'CAIS+token',
      });
    });

    it('reads the query decoded, value-less parameters as bare names', () => {
      const parsed = parseCanonicalRequest(build('PUT', 'users/alice/big.bin', {}, { uploadId: 'abc/+=', partNumber: '7', 'response-content-type': 'a b' }));

      expect(parsed.request.subresources).toEqual([['partNumber', '7'], ['response-content-type', 'a b'], ['uploadId', 'abc/+=']]);
      expect(parseCanonicalRequest(build('POST', 'users/alice/big.bin', {}, { uploads: null })).request.subresources).toEqual([['uploads', undefined]]);
    });

    it('reads additional headers and keeps them out of the x-oss headers', () => {
      const parsed = parseCanonicalRequest(build('GET', 'users/alice/a.jpg', { host: 'photos.oss-cn-hangzhou.aliyuncs.com', range: 'bytes=0-9' }, {}, ['host', 'range']));

      expect(parsed.additionalHeaders).toEqual(['host', 'range']);
      expect(parsed.request.headers.map(([name]) => name)).toEqual(['x-oss-content-sha256', 'x-oss-date']);
    });

    it('reads a presigned URL: expiry from x-oss-date + x-oss-expires, credential and token from the query, which are no sub-resources', () => {
      const parsed = parseCanonicalRequest(presigned('users/alice/a.jpg', { 'response-content-disposition': 'attachment' }));

      expect(parsed.request.date).toEqual({ kind: 'expires', time: TIME + 600_000, signedAt: TIME });
      expect(parsed.request.subresources).toEqual([['response-content-disposition', 'attachment']]);
      expect(parsed.presigned).toEqual({ credential: { accessKeyId: 'STS.ak', date: '20241127', region: 'cn-hangzhou', product: 'oss' }, expiresSeconds: 600 });
      expect(parsed.securityToken).toBe('CAIS token/+=');
      expect(parsed.timestamp).toBe(DATE);
    });

    it('reads the published RemoteSignerV4Test requests (Kotlin/Swift v2 SDKs), header-signed and presigned', () => {
      const query = '%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2';
      const header = parseCanonicalRequest(`PUT\n/bucket/1234%2B-/123/1.txt\n${query}\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD`);
      const url = parseCanonicalRequest(`PUT\n/bucket/1234%2B-/123/1.txt\n${query}&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256\ncontent-type:application/octet-stream\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD`);

      expect(header.request).toMatchObject({ bucket: 'bucket', key: '1234+-/123/1.txt', subresources: [['+param1', 'value3'], ['+param2', undefined], ['|param1', 'value4'], ['|param2', undefined], ['param1', 'value1'], ['param2', undefined]] });
      expect(url.presigned).toEqual({ credential: { accessKeyId: 'ak', date: '20231217', region: 'cn-hangzhou', product: 'oss' }, expiresSeconds: 599 });
    });

    it('reads the service and the bucket itself', () => {
      expect(parseCanonicalRequest(withLine(build('GET', ''), 1, '/')).request).toMatchObject({ bucket: '', key: '' });
      expect(parseCanonicalRequest(build('GET', '', {}, { prefix: 'users/alice/' })).request).toMatchObject({ bucket: 'photos', key: '', subresources: [['prefix', 'users/alice/']] });
    });

    it('accepts an empty x-oss-meta value', () => {
      expect(parseCanonicalRequest(build('PUT', 'users/alice/a', { 'x-oss-meta-empty': '' })).request.headers).toContainEqual(['x-oss-meta-empty', '']);
    });
  });

  describe('what it refuses, naming the rule', () => {
    const put = build('PUT', 'users/alice/a.jpg', { 'content-type': 'image/jpeg' });
    it.each<[string, string, RegExp]>([
      ['fewer than six lines', 'PUT\n/photos/a\n\n\nUNSIGNED-PAYLOAD', /six lines/],
      ['a lowercase method', withLine(put, 0, 'put'), /HTTP method/],
      ['CRLF line ends', put.replaceAll('\n', '\r\n'), /printable ASCII/],
      ['a raw non-ASCII key', withLine(put, 1, '/photos/users/alice/照片'), /printable ASCII/],
      ['a raw space in the key', withLine(put, 1, '/photos/users/alice/a b'), /URI is not/],
      ['a raw + in the key', withLine(put, 1, '/photos/users/alice/a+b'), /URI is not/],
      ['lowercase hex in the key', withLine(put, 1, '/photos/users/alice/a%2bb'), /URI is not/],
      ['an encoded unreserved character', withLine(put, 1, '/photos/users/alice/%61.jpg'), /canonical encoding/],
      ['an encoded slash', withLine(put, 1, '/photos/users%2Falice/a.jpg'), /canonical encoding/],
      ['an escape that is no UTF-8', withLine(put, 1, '/photos/users/alice/%FF.jpg'), /valid UTF-8/],
      ['an encoded line feed in the key', withLine(put, 1, '/photos/users/alice/a%0A.jpg'), /control character/],
      ['a URI without "/"', withLine(put, 1, 'photos/users/alice/a.jpg'), /URI is not/],
      ['a bucket without its slash', withLine(put, 1, '/photos'), /bucket without/],
      ['a query parameter with "=" and no value', withLine(put, 2, 'acl='), /its name alone/],
      ['a raw space in a query value', withLine(put, 2, 'response-content-type=a b'), /not percent-encoded/],
      ['an encoded slash left raw in a query value', withLine(put, 2, 'prefix=users/alice/'), /not percent-encoded/],
      ['an empty query parameter', withLine(put, 2, 'acl&&uploads'), /not percent-encoded/],
      ['unsorted query parameters', withLine(put, 2, 'uploads&acl'), /ascending/],
      ['a repeated query parameter', withLine(put, 2, 'partNumber=1&partNumber=2'), /ascending/],
      ['an encoded line feed in a query value', withLine(put, 2, 'response-content-type=a%0Db'), /control character/],
      ['an uppercase header name', withLine(put, 3, 'Content-Type:image/jpeg'), /lowercase "name:value"/],
      ['a header line without a colon', withLine(put, 3, 'content-type image/jpeg'), /lowercase "name:value"/],
      ['a header value with a trailing space', withLine(put, 3, 'content-type:image/jpeg '), /leading or trailing spaces/],
      ['an empty content-type', withLine(put, 3, 'content-type:'), /empty value/],
      ['unsorted header lines', withLine(withLine(put, 3, 'x-oss-date:' + DATE), 5, 'content-type:image/jpeg'), /ascending order of name/],
      ['a repeated header', withLine(put, 4, 'content-type:image/jpeg'), /ascending order of name/],
      ['a header neither default nor additional', withLine(put, 3, 'cache-control:no-cache'), /neither signed by default/],
      ['a content-md5 that is not 24 base64 characters', withLine(put, 3, 'content-md5:abc'), /content-md5/],
      ['a header value over 2048 characters', withLine(put, 3, `content-type:${'a'.repeat(2049)}`), /longer than 2048 characters/],
      ['no empty line after the headers', withLine(put, -3, 'x'), /followed by an empty line/],
      ['an additional header without its line', withLine(put, -2, 'host'), /has no header line/],
      ['an additional header signed anyway', withLine(put, -2, 'x-oss-date'), /signed anyway/],
      ['additional headers out of order', withLine(build('GET', 'users/alice/a', { host: 'h', range: 'bytes=0-1' }, {}, ['host', 'range']), -2, 'range;host'), /ascending/],
      ['a payload hash that is no hash', withLine(put, -1, 'UNSIGNED'), /64 lowercase hex/],
      ['a payload hash other than x-oss-content-sha256', withLine(put, -1, 'a'.repeat(64)), /x-oss-content-sha256/],
      ['no x-oss-content-sha256 header', build('PUT', 'users/alice/a').replace('x-oss-content-sha256:UNSIGNED-PAYLOAD\n', ''), /x-oss-content-sha256/],
      ['no x-oss-date header', build('PUT', 'users/alice/a').replace(`x-oss-date:${DATE}\n`, ''), /no x-oss-date/],
      ['an x-oss-date that is no timestamp', build('PUT', 'users/alice/a').replace(`x-oss-date:${DATE}`, 'x-oss-date:Wed, 27 Nov 2024 06:40:30 GMT'), /no x-oss-date/],
      ['a presigning parameter without x-oss-signature-version', withLine(put, 2, 'x-oss-expires=60'), /only a presigned URL/],
      ['x-oss-signature in a presigned URL', presigned('users/alice/a').replace('x-oss-signature-version', 'x-oss-signature=ab&x-oss-signature-version'), /holds x-oss-signature, which/],
      ['another signature version', presigned('users/alice/a').replace('x-oss-signature-version=OSS4-HMAC-SHA256', 'x-oss-signature-version=OSS4-HMAC-SHA1'), /signature-version/],
      ['x-oss-expires of 0', presigned('users/alice/a').replace('x-oss-expires=600', 'x-oss-expires=0'), /x-oss-expires/],
      ['x-oss-expires over 7 days', presigned('users/alice/a').replace('x-oss-expires=600', 'x-oss-expires=604801'), /x-oss-expires/],
      ['a presigned x-oss-date that is no timestamp', presigned('users/alice/a').replace(`x-oss-date=${DATE}`, 'x-oss-date=2024'), /x-oss-date parameter/],
      ['a credential without terminator', presigned('users/alice/a').replace('aliyun_v4_request', 'aws4_request'), /x-oss-credential/],
      ['a credential without AccessKeyId', presigned('users/alice/a').replace('STS.ak%2F', '%2F'), /x-oss-credential/],
      ['a bare x-oss-security-token', presigned('users/alice/a').replace(/x-oss-security-token=[^&\n]+/, 'x-oss-security-token'), /no value/],
      ['x-oss-additional-headers other than the line', presigned('users/alice/a', { 'x-oss-additional-headers': 'host' }), /x-oss-additional-headers/],
      ['a presigned payload hash without its header', withLine(presigned('users/alice/a'), -1, 'a'.repeat(64)), /payload hash/],
    ])('%s', (_case, text, reason) => {
      expectMalformed(text, reason);
    });

    it('refuses a method it does not sign with 403 VerbNotAllowed', () => {
      const error = refusal(() => parseCanonicalRequest(withLine(put, 0, 'PATCH')));
      expect([error.status, error.code]).toEqual([403, 'VerbNotAllowed']);
    });

    it('refuses more than 8 KiB with 413 PayloadTooLarge', () => {
      const error = refusal(() => parseCanonicalRequest(build('PUT', 'users/alice/a', { 'x-oss-meta-a': 'a'.repeat(2000), 'x-oss-meta-b': 'b'.repeat(2000), 'x-oss-meta-c': 'c'.repeat(2000), 'x-oss-meta-d': 'd'.repeat(2100) })));
      expect([error.status, error.code]).toEqual([413, 'PayloadTooLarge']);
    });
  });

  describe('any input (properties)', () => {
    const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((text) => text.isWellFormed() && !text.includes('/') && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)));
    const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    // Names whose order ali-oss (localeCompare of raw names) and OSS (byte order of encoded names) agree on.
    const queries = fc.dictionary(fc.constantFrom('acl', 'partNumber', 'prefix', 'response-content-type', 'uploadId', 'uploads', 'versionId', 'x-oss-process'), fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((text) => text.isWellFormed() && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text))), { maxKeys: 3 });
    const headers = fc.dictionary(fc.stringMatching(/^x-oss-meta-[a-z0-9]{1,6}$/), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/), { maxKeys: 3 });

    it('reads back exactly the key, query and headers of every request ali-oss writes', () => {
      fc.assert(
        fc.property(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'), key, queries, headers, (method, objectKey, query, meta) => {
          const parsed = parseCanonicalRequest(build(method, objectKey, meta, query));
          oftenBe(parsed.request.key, objectKey);
          oftenEqual(Object.fromEntries(parsed.request.subresources.map(([name, value]) => [name, value ?? null])), query);
          oftenEqual(parsed.request.headers.filter(([name]) => name.startsWith('x-oss-meta-')), Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : 1)));
        }),
        { numRuns: 2000 },
      );
    });

    it('refuses a key in any but its canonical encoding', () => {
      fc.assert(
        fc.property(key, fc.nat(), (objectKey, at) => {
          const canonical = uriEncode(`/photos/${objectKey}`, true);
          // Any other spelling of the same key: a byte escaped that need not be, or lowercase hex.
          const index = at % canonical.length;
          const character = canonical[index] ?? '';
          const respelled = /[A-Za-z0-9]/.test(character) ? `${canonical.slice(0, index)}%${character.charCodeAt(0).toString(16).toUpperCase()}${canonical.slice(index + 1)}` : canonical.replace(/%([0-9A-F]{2})/, (_all, hex: string) => `%${hex.toLowerCase()}`);
          fc.pre(respelled !== canonical);
          expectMalformed(withLine(build('GET', objectKey), 1, respelled), /URI is not|canonical encoding/);
        }),
        { numRuns: 1000 },
      );
    });

    it('answers any text with a parse or a TvmError 4xx, never anything else', () => {
      const text = fc.oneof(fc.string({ unit: BINARY, maxLength: 300 }), fc.array(fc.oneof(fc.constantFrom('', 'GET', 'PUT', '/photos/users/alice/a', 'UNSIGNED-PAYLOAD', 'x-oss-date:' + DATE, 'x-oss-content-sha256:UNSIGNED-PAYLOAD', 'acl', 'host'), fc.string({ maxLength: 20 })), { maxLength: 10 }).map((parts) => parts.join('\n')));
      fc.assert(
        fc.property(text, (input) => {
          try {
            parseCanonicalRequest(input);
          } catch (error) {
            oftenInstanceOf(error, TvmError);
            oftenWithin((error as TvmError).status, 400, 500);
          }
        }),
        { numRuns: 3000 },
      );
    });
  });
});
