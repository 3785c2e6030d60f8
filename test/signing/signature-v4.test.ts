import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  UNSIGNED_PAYLOAD,
  V4_ALGORITHM,
  parseV4Timestamp,
  sha256Hex,
  v4Authorization,
  v4Credential,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
  v4Timestamp,
} from '../../shared/signing/signature-v4';
import { oftenBe } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** The pure V4 functions of ali-oss 6.23.0 (`lib/common/signUtils.js`), the independent oracle. */
interface AliOssV4 {
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
  getStringToSign(region: string, date: string, canonicalRequest: string, product?: string): string;
  getSignatureV4(accessKeySecret: string, date: string, region: string, stringToSign: string, product?: string): string;
  authorizationV4(accessKeyId: string, accessKeySecret: string, region: string, method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
}
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils') as AliOssV4;

/**
 * The published RemoteSignerV4 vectors: alibabacloud-oss-kotlin-sdk-v2
 * oss-sdk/src/commonTest/kotlin/com/aliyun/kotlin/sdk/service/oss2/signer/RemoteSignerV4Test.kt
 * (commit 13cbeacbff62622c88614b4e01875d91a9addd72) and, with the same values,
 * alibabacloud-oss-swift-sdk-v2 Tests/OSSUnitTests/Signer/RemoteSignerV4Tests.swift
 * (commit e208a6c3c55847f90944a5bb4453c2e2ce00f1b1). Credentials ak/sk, bucket `bucket`, key
 * `1234+-/123/1.txt`, cn-hangzhou, query `param1=value1&+param1=value3&|param1=value4&+param2=&|param2=&param2=`,
 * headers `x-oss-head1: value`, `abc`, `ZAbc`, `XYZ` (not signed), a Content-Type. The canonical
 * requests are written out here from the V4 rules, not by the code under test.
 */
const VECTOR_QUERY = '%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2';
const HEADER_VECTOR = {
  time: 1_702_743_657_000,
  canonicalRequest: `PUT\n/bucket/1234%2B-/123/1.txt\n${VECTOR_QUERY}\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD`,
  authorization: 'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe',
};
const QUERY_VECTOR = {
  time: 1_702_781_677_000,
  canonicalRequest: `PUT\n/bucket/1234%2B-/123/1.txt\n${VECTOR_QUERY}&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256\ncontent-type:application/octet-stream\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD`,
  signature: 'a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe',
};
const VECTOR_QUERIES = { param1: 'value1', '+param1': 'value3', '|param1': 'value4', '+param2': null, '|param2': null, param2: null };

describe('signature V4 primitives', () => {
  describe('the published RemoteSignerV4Test vectors (Kotlin v2 and Swift v2 SDKs)', () => {
    it('signs testAuthHeader to the expected Authorization value', () => {
      // Prepare
      const timestamp = v4Timestamp(new Date(HEADER_VECTOR.time));
      const scope = v4Scope(timestamp.slice(0, 8), 'cn-hangzhou');

      // Act
      const signature = v4Signature('sk', timestamp.slice(0, 8), 'cn-hangzhou', v4StringToSign(timestamp, scope, HEADER_VECTOR.canonicalRequest));

      // Assess
      expect(timestamp).toBe('20231216T162057Z');
      expect(v4Authorization({ accessKeyId: 'ak', scope, signature })).toBe(HEADER_VECTOR.authorization);
    });

    it('signs testAuthQuery (a presigned URL) to the expected x-oss-signature', () => {
      const timestamp = v4Timestamp(new Date(QUERY_VECTOR.time));
      const scope = v4Scope('20231217', 'cn-hangzhou');

      const signature = v4Signature('sk', '20231217', 'cn-hangzhou', v4StringToSign(timestamp, scope, QUERY_VECTOR.canonicalRequest));

      expect(timestamp).toBe('20231217T025437Z');
      expect(encodeURIComponent(v4Credential('ak', scope))).toBe('ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request');
      expect(signature).toBe(QUERY_VECTOR.signature);
    });

    it('agrees with the canonical requests ali-oss builds for the same requests (value-less parameters as null)', () => {
      const header = aliOss.getCanonicalRequest('PUT', { headers: { 'x-oss-head1': 'value', abc: 'value', ZAbc: 'value', XYZ: 'value', 'content-type': 'text/plain', 'x-oss-content-sha256': UNSIGNED_PAYLOAD, 'x-oss-date': '20231216T162057Z' }, queries: VECTOR_QUERIES }, 'bucket', '1234+-/123/1.txt');
      const query = aliOss.getCanonicalRequest('PUT', {
        headers: { 'x-oss-head1': 'value', abc: 'value', ZAbc: 'value', XYZ: 'value', 'content-type': 'application/octet-stream' },
        queries: { ...VECTOR_QUERIES, 'x-oss-signature-version': V4_ALGORITHM, 'x-oss-date': '20231217T025437Z', 'x-oss-expires': '599', 'x-oss-credential': 'ak/20231217/cn-hangzhou/oss/aliyun_v4_request' },
      }, 'bucket', '1234+-/123/1.txt');

      expect(header).toBe(HEADER_VECTOR.canonicalRequest);
      expect(query).toBe(QUERY_VECTOR.canonicalRequest);
    });
  });

  describe('against ali-oss signUtils', () => {
    const text = fc.string({ unit: BINARY, maxLength: 200 });
    const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });
    const region = fc.constantFrom('cn-hangzhou', 'cn-beijing', 'ap-southeast-1', 'us-west-1', 'eu-central-1');

    it('builds the same string to sign as getStringToSign, for any timestamp, region and canonical request', () => {
      fc.assert(
        fc.property(date, region, text, (when, where, canonicalRequest) => {
          const timestamp = v4Timestamp(when);
          oftenBe(v4StringToSign(timestamp, v4Scope(timestamp.slice(0, 8), where), canonicalRequest), aliOss.getStringToSign(where, timestamp, canonicalRequest));
        }),
        { numRuns: 1000 },
      );
    });

    it('computes the same signature as getSignatureV4, for any secret and string to sign', () => {
      fc.assert(
        fc.property(text, date, region, text, (secret, when, where, stringToSign) => {
          const day = v4Timestamp(when).slice(0, 8);
          oftenBe(v4Signature(secret, day, where, stringToSign), aliOss.getSignatureV4(secret, day, where, stringToSign));
        }),
        { numRuns: 1000 },
      );
    });

    it('writes the same Authorization value as authorizationV4, with and without additional headers', () => {
      fc.assert(
        fc.property(fc.subarray(['host', 'range', 'content-length'], { minLength: 0 }), fc.stringMatching(/^[A-Za-z0-9.]{1,40}$/), text, (additional, accessKeyId, secret) => {
          // Prepare: a request ali-oss signs whole, from its headers.
          const headers: Record<string, string> = { 'x-oss-date': '20240101T000000Z', 'x-oss-content-sha256': UNSIGNED_PAYLOAD, host: 'photos.oss-cn-hangzhou.aliyuncs.com', range: 'bytes=0-9', 'content-length': '10' };
          const sorted = [...additional].sort();
          const canonicalRequest = aliOss.getCanonicalRequest('GET', { headers }, 'photos', 'users/alice/a.jpg', sorted);
          const scope = v4Scope('20240101', 'cn-hangzhou');

          // Act
          const signature = v4Signature(secret, '20240101', 'cn-hangzhou', v4StringToSign('20240101T000000Z', scope, canonicalRequest));

          // Assess
          oftenBe(v4Authorization({ accessKeyId, scope, additionalHeaders: sorted, signature }), aliOss.authorizationV4(accessKeyId, secret, 'cn-hangzhou', 'GET', { headers }, 'photos', 'users/alice/a.jpg', additional));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('the signing key', () => {
    it('is 32 bytes and depends on the secret, date, region and product', () => {
      const key = v4SigningKey('sk', '20231216', 'cn-hangzhou');

      expect(key).toHaveLength(32);
      expect(v4SigningKey('sk', '20231216', 'cn-hangzhou', 'oss')).toEqual(key);
      for (const other of [v4SigningKey('sk2', '20231216', 'cn-hangzhou'), v4SigningKey('sk', '20231217', 'cn-hangzhou'), v4SigningKey('sk', '20231216', 'cn-beijing'), v4SigningKey('sk', '20231216', 'cn-hangzhou', 'oss-cloudbox')]) {
        expect(other).not.toEqual(key);
      }
    });
  });

  describe('timestamps', () => {
    it('writes and reads yyyyMMddTHHmmssZ in UTC, whole seconds', () => {
      expect(v4Timestamp(new Date(Date.UTC(2024, 1, 29, 23, 5, 9, 999)))).toBe('20240229T230509Z');
      expect(parseV4Timestamp('20240229T230509Z')).toBe(Date.UTC(2024, 1, 29, 23, 5, 9));
    });

    it.each(['20230229T000000Z', '20240101T240000Z', '20240101T000060Z', '20241301T000000Z', '2024-01-01T00:00:00Z', '20240101T000000z', '20240101T000000', ' 20240101T000000Z', '20240101T000000Z\n', '19691231T235959Z', ''])('refuses %j', (text) => {
      expect(parseV4Timestamp(text)).toBeUndefined();
    });

    it('reads back every timestamp it writes', () => {
      fc.assert(
        fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (when) => {
          oftenBe(parseV4Timestamp(v4Timestamp(when)), Math.floor(when.getTime() / 1000) * 1000);
        }),
        { numRuns: 1000 },
      );
    });
  });

  it('hashes UTF-8 bytes as lowercase hex', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('照片')).toBe(aliOss.getStringToSign('r', '20240101T000000Z', '照片').split('\n')[3]);
  });
});
