import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import { type HashOnlyRules, authorizeRemoteSignerV4, parseV4StringToSign } from '../../shared/signing/remote-signer';
import type { RemoteSignerV4Info } from '../../shared/signing/sign-request';
import { refusal } from '../helpers/refusal';
import { oftenBe, oftenInstanceOf } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** ali-oss 6.23's V4 functions build the strings to sign, as the SDKs do. */
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as {
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string): string;
  getStringToSign(region: string, date: string, canonicalRequest: string, product?: string): string;
};

const NOW = Date.UTC(2023, 11, 16, 16, 20, 57);
const TIMESTAMP = '20231216T162057Z';
const RULES: HashOnlyRules = { bucket: 'photos', region: 'cn-hangzhou', prefix: 'users/alice/', now: NOW, maxSkewSeconds: 300 };

/** The map RemoteSignerV4 sends for a PUT of `key`, signed at `timestamp`. */
function map(key = 'users/alice/a.jpg', timestamp = TIMESTAMP, method = 'PUT'): RemoteSignerV4Info {
  const canonicalRequest = aliOss.getCanonicalRequest(method, { headers: { 'x-oss-date': timestamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-security-token': 'token' } }, 'photos', key);
  return { version: 'v4', method, bucket: 'photos', key, stringToSign: aliOss.getStringToSign('cn-hangzhou', timestamp, canonicalRequest), region: 'cn-hangzhou', product: 'oss', date: timestamp.slice(0, 8), accessKeyId: 'STS.ak' };
}

const lines = (info: RemoteSignerV4Info): string[] => info.stringToSign.split('\n');
const withLine = (info: RemoteSignerV4Info, index: number, value: string): RemoteSignerV4Info => {
  const changed = lines(info);
  changed[index] = value;
  return { ...info, stringToSign: changed.join('\n') };
};

describe('parseV4StringToSign', () => {
  it('reads the timestamp and the scope line of the string to sign an SDK built', () => {
    // Act
    const parsed = parseV4StringToSign(map().stringToSign);

    // Assess
    expect(parsed).toEqual({ timestamp: TIMESTAMP, time: NOW, date: '20231216', region: 'cn-hangzhou', product: 'oss' });
  });

  it.each([
    ['an empty string', ''],
    ['three lines', lines(map()).slice(0, 3).join('\n')],
    ['a trailing line feed', `${map().stringToSign}\n`],
    ['CRLF line ends', map().stringToSign.replaceAll('\n', '\r\n')],
    ['another algorithm', withLine(map(), 0, 'AWS4-HMAC-SHA256').stringToSign],
    ['a lowercase algorithm', withLine(map(), 0, 'oss4-hmac-sha256').stringToSign],
    ['an ISO timestamp with separators', withLine(map(), 1, '2023-12-16T16:20:57Z').stringToSign],
    ['a timestamp that is no date', withLine(map(), 1, '20230230T000000Z').stringToSign],
    ['a scope without terminator', withLine(map(), 2, '20231216/cn-hangzhou/oss').stringToSign],
    ['a scope with another terminator', withLine(map(), 2, '20231216/cn-hangzhou/oss/aws4_request').stringToSign],
    ['a scope with a fifth part', withLine(map(), 2, '20231216/cn-hangzhou/x/oss/aliyun_v4_request').stringToSign],
    ['a scope with an uppercase region', withLine(map(), 2, '20231216/CN-HANGZHOU/oss/aliyun_v4_request').stringToSign],
    ['an uppercase hash', withLine(map(), 3, 'A'.repeat(64)).stringToSign],
    ['a 63-digit hash', withLine(map(), 3, 'a'.repeat(63)).stringToSign],
    ['a hash with a trailing space', withLine(map(), 3, `${'a'.repeat(64)} `).stringToSign],
  ])('refuses %s with 400 MalformedStringToSign', (_case, text) => {
    const error = refusal(() => parseV4StringToSign(text));

    expect([error.status, error.code]).toEqual([400, 'MalformedStringToSign']);
    expect(error.message).toMatch(/^The string to sign is malformed: /);
  });

  it('reads every string to sign ali-oss builds, and refuses anything else with a 400, never another error', () => {
    const request = fc.record({ method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'), key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), time: fc.integer({ min: 0, max: 4_102_444_799 }), region: fc.stringMatching(/^[a-z]{2}-[a-z0-9]{1,12}$/) });
    fc.assert(
      fc.property(request, fc.string({ unit: BINARY, maxLength: 200 }), ({ method, key, time, region }, junk) => {
        const timestamp = new Date(time * 1000).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z');
        const text = aliOss.getStringToSign(region, timestamp, aliOss.getCanonicalRequest(method, { headers: {} }, 'photos', key));
        expect(parseV4StringToSign(text)).toMatchObject({ timestamp, time: time * 1000, region, product: 'oss' });
        try {
          parseV4StringToSign(junk);
        } catch (error) {
          oftenInstanceOf(error, TvmError);
          oftenBe((error as TvmError).status, 400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('authorizeRemoteSignerV4', () => {
  it('accepts a map for the caller\'s own key, this region and OSS, timed within the skew', () => {
    expect(authorizeRemoteSignerV4(map(), RULES)).toMatchObject({ date: '20231216' });
    expect(authorizeRemoteSignerV4(map('users/alice/照片 1+2.jpg', '20231216T162557Z', 'GET'), RULES)).toMatchObject({ timestamp: '20231216T162557Z' });
  });

  it.each<[string, RemoteSignerV4Info, number, string]>([
    ['a scope line for another region', withLine(map(), 2, '20231216/cn-beijing/oss/aliyun_v4_request'), 403, 'RegionNotAllowed'],
    ['a map for another region', { ...map(), region: 'cn-beijing' }, 403, 'RegionNotAllowed'],
    ['a scope line for another product', withLine(map(), 2, '20231216/cn-hangzhou/oss-cloudbox/aliyun_v4_request'), 403, 'ProductNotAllowed'],
    ['a map for another product', { ...map(), product: '' }, 403, 'ProductNotAllowed'],
    ['a map date other than the scope\'s', { ...map(), date: '20231215' }, 403, 'CredentialScopeMismatch'],
    ['a scope date other than the timestamp\'s', { ...withLine(map(), 2, '20231215/cn-hangzhou/oss/aliyun_v4_request'), date: '20231215' }, 403, 'CredentialScopeMismatch'],
    ['a timestamp 301 s early', map('users/alice/a.jpg', '20231216T161556Z'), 403, 'DateOutOfRange'],
    ['a timestamp 301 s late', map('users/alice/a.jpg', '20231216T162558Z'), 403, 'DateOutOfRange'],
    ['another bucket', { ...map(), bucket: 'other' }, 403, 'BucketNotAllowed'],
    ['the service (no bucket)', { ...map(), bucket: '', key: '' }, 403, 'ResourceNotAllowed'],
    ['a PUT of the bucket', { ...map(), key: '' }, 403, 'ResourceNotAllowed'],
    ['a GET of the bucket (a listing)', { ...map(), method: 'GET', key: '' }, 403, 'ListingNotSignable'],
    ['another user\'s key', { ...map(), key: 'users/bob/a.jpg' }, 403, 'KeyNotAllowed'],
    ['a sibling prefix', { ...map(), key: 'users/alice2/a.jpg' }, 403, 'KeyNotAllowed'],
    ['a ".." segment', { ...map(), key: 'users/alice/../bob/a.jpg' }, 403, 'KeyNotAllowed'],
    ['a method that is not signed', { ...map(), method: 'OPTIONS' }, 403, 'VerbNotAllowed'],
    ['a method that is no method', { ...map(), method: 'put' }, 400, 'MalformedRequest'],
  ])('refuses %s', (_case, info, status, code) => {
    const error = refusal(() => authorizeRemoteSignerV4(info, RULES));

    expect([error.status, error.code]).toEqual([status, code]);
  });

  it('tells a client whose clock is off the server time', () => {
    const error = refusal(() => authorizeRemoteSignerV4(map('users/alice/a.jpg', '20231216T170000Z'), RULES));

    expect(error.bodyFields).toEqual({ ServerTime: '2023-12-16T16:20:57Z' });
    expect(error.headers).toEqual({ Date: 'Sat, 16 Dec 2023 16:20:57 GMT' });
  });
});
