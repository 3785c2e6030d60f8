import { createRequire } from 'node:module';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ossV1Authorization, ossV1Signature } from '../../shared/signing/oss-signature';
import { bindSecurityToken } from '../../shared/signing/security-token';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { oftenBe } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

/** The pure V1 functions of ali-oss 6.23.0 (`lib/common/signUtils.js`), the independent oracle. */
interface AliOssSignUtils {
  authorization(accessKeyId: string, accessKeySecret: string, canonicalString: string, headerEncoding?: string): string;
  computeSignature(accessKeySecret: string, canonicalString: string, headerEncoding?: string): string;
  buildCanonicalString(
    method: string,
    resourcePath: string,
    request: { headers?: Record<string, string>; parameters?: Record<string, string | number> },
    expires?: string,
  ): string;
}
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils') as AliOssSignUtils;

const DATE = 'Wed, 27 Nov 2024 06:40:30 GMT';
const EXPIRES = '1732690230'; // DATE + 600 s
const TOKEN = 'token';

describe('ossV1Authorization', () => {
  describe('published Go SDK v2 vectors (oss/signer/signer_test.go, ak/sk)', () => {
    const headers = 'x-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n';

    it('signs TestV1AuthHeader case 1 (PUT /examplebucket/nelson)', () => {
      // Prepare
      const content = `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\n${headers}/examplebucket/nelson`;
      // Act
      const authorization = ossV1Authorization('ak', 'sk', content);
      // Assess
      expect(authorization).toBe('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=');
      expect(aliOss.authorization('ak', 'sk', content)).toBe(authorization);
    });

    it('signs TestV1AuthHeader case 2 (the same with ?acl)', () => {
      const content = `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\n${headers}/examplebucket/nelson?acl`;
      expect(ossV1Authorization('ak', 'sk', content)).toBe('OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=');
      expect(aliOss.authorization('ak', 'sk', content)).toBe('OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=');
    });

    it('signs TestV1AuthHeader case 4 (GET /examplebucket/?acl&resourceGroup)', () => {
      const content = 'GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?acl&resourceGroup';
      expect(ossV1Authorization('ak', 'sk', content)).toBe('OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=');
      expect(aliOss.authorization('ak', 'sk', content)).toBe('OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=');
    });

    it('signs the TestV1AuthQuery presigned strings', () => {
      expect(ossV1Signature('sk', 'GET\n\n\n1699807420\n/bucket/key?versionId=versionId')).toBe('dcLTea+Yh9ApirQ8o8dOPqtvJXQ=');
      expect(ossV1Signature('sk', 'GET\n\n\n1699808204\n/bucket/key+123?security-token=token&versionId=versionId')).toBe('jzKYRrM5y6Br0dRFPaTGOsbrDhY=');
    });

    it('reads the same canonical string for case 1 as ali-oss builds from the request', () => {
      // Prepare
      const built = aliOss.buildCanonicalString('PUT', '/examplebucket/nelson', {
        headers: {
          'Content-MD5': 'eB5eJF1ptWaXm4bijSPyxw==',
          'Content-Type': 'text/html',
          'x-oss-date': 'Wed, 28 Dec 2022 10:27:41 GMT',
          'X-OSS-Meta-Magic': 'abracadabra',
          'X-OSS-Meta-Author': 'alice',
        },
      });
      // Act + Assess
      expect(ossV1Authorization('ak', 'sk', built)).toBe('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=');
    });
  });

  describe('mobile-shaped golden values (notes §4.2b, STS.ak/sk)', () => {
    it.each([
      [
        'PutObject with a meta header and the token',
        'PUT\n\nimage/jpeg\nWed, 27 Nov 2024 06:40:30 GMT\nx-oss-meta-owner:alice\nx-oss-security-token:CAIStoken\n/my-bucket/users/alice/photo.jpg',
        'OSS STS.ak:sldwaEIR7eiVJy5kg1kKqKXtlAQ=',
      ],
      [
        'UploadPart',
        'PUT\n\napplication/octet-stream\nWed, 27 Nov 2024 06:40:30 GMT\n/my-bucket/users/alice/big.bin?partNumber=1&uploadId=0004B9894A22E5B1888A1E29F823****',
        'OSS STS.ak:sfPwr8ZrYfxDr0NYl/Y/11TuNHM=',
      ],
      ['InitiateMultipartUpload', 'POST\n\napplication/octet-stream\nWed, 27 Nov 2024 06:40:30 GMT\n/my-bucket/users/alice/big.bin?uploads', 'OSS STS.ak:wuy1pJuXhEXoB9YhkbLWGx4FJlU='],
    ])('signs %s', (_name, content, expected) => {
      expect(ossV1Authorization('STS.ak', 'sk', content)).toBe(expected);
      expect(aliOss.authorization('STS.ak', 'sk', content)).toBe(expected);
    });
  });

  describe('agreement with ali-oss', () => {
    const keyChar = fc.oneof(fc.constantFrom(...'abcXYZ019/._-+ '), fc.constantFrom('é', 'ü', '照', '片', '😀', 'ß'));
    const key = fc.string({ unit: keyChar, minLength: 1, maxLength: 40 });
    const metaName = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
    const metaValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
    const mobileContent = fc
      .record({
        method: fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE'),
        md5: fc.constantFrom('', '1B2M2Y8AsgTpgAmY7PhCfg==', 'eB5eJF1ptWaXm4bijSPyxw=='),
        type: fc.constantFrom(undefined, 'image/jpeg', 'application/octet-stream', 'text/plain; charset=utf-8'),
        date: fc.constantFrom(DATE, EXPIRES, 'Thu, 28 Nov 2024 00:00:00 GMT'),
        meta: fc.dictionary(metaName, metaValue, { maxKeys: 4 }),
        key,
        parameters: fc.dictionary(fc.constantFrom('uploads', 'uploadId', 'partNumber', 'response-content-type', 'objectMeta'), fc.constantFrom('', '1', 'abc', 'text/plain')),
      })
      .map(({ method, md5, type, date, meta, key: objectKey, parameters }) => {
        const headers: Record<string, string> = Object.fromEntries(Object.entries(meta).map(([name, value]) => [`x-oss-meta-${name}`, value]));
        if (md5 !== '') headers['content-md5'] = md5;
        if (type !== undefined) headers['content-type'] = type;
        return aliOss.buildCanonicalString(method, `/photos/${objectKey}`, { headers, parameters }, date);
      });
    const anyContent = fc.oneof(mobileContent, fc.string({ unit: BINARY, maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 }));
    const secret = fc.oneof(fc.constantFrom('sk', ''), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary-ascii', maxLength: 64 }));
    const accessKeyId = fc.oneof(fc.constantFrom('ak', 'STS.ak'), fc.stringMatching(/^[A-Za-z0-9.]{1,32}$/));

    it('computes the same Authorization as ali-oss for any content, secret and AccessKeyId', () => {
      fc.assert(
        fc.property(accessKeyId, secret, anyContent, (id, sk, content) => {
          oftenBe(ossV1Authorization(id, sk, content), aliOss.authorization(id, sk, content));
          oftenBe(ossV1Signature(sk, content), aliOss.computeSignature(sk, content));
        }),
        { numRuns: 10_000 },
      );
    });
  });
});

describe('the string signed after the token is inserted', () => {
  interface Request {
    readonly method: string;
    readonly resource: string;
    readonly headers: Record<string, string>;
    readonly parameters: Record<string, string | number>;
  }
  /** The content a mobile SDK sends (its custom signer adds no token), as ali-oss builds it. */
  const sentWithoutToken = (request: Request, date: string): string =>
    aliOss.buildCanonicalString(request.method, request.resource, { headers: request.headers, parameters: request.parameters }, date);

  const headerRequests: ReadonlyArray<readonly [string, Request]> = [
    ['PutObject without x-oss headers', { method: 'PUT', resource: '/photos/users/alice/photo.jpg', headers: { 'content-type': 'image/jpeg' }, parameters: {} }],
    [
      'PutObject with Content-MD5 and meta headers before the token',
      {
        method: 'PUT',
        resource: '/photos/users/alice/photo.jpg',
        headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'content-type': 'image/jpeg', 'x-oss-meta-owner': 'alice', 'x-oss-meta-album': 'trip' },
        parameters: {},
      },
    ],
    [
      'PutObject with headers before and after the token',
      {
        method: 'PUT',
        resource: '/photos/users/alice/photo.jpg',
        headers: { 'content-type': 'image/jpeg', 'x-oss-meta-owner': 'alice', 'x-oss-range-behavior': 'standard', 'x-oss-traffic-limit': '819200' },
        parameters: {},
      },
    ],
    ['PutObject with a header after the token only', { method: 'PUT', resource: '/photos/users/alice/a.bin', headers: { 'x-oss-traffic-limit': '819200' }, parameters: {} }],
    [
      'UploadPart',
      { method: 'PUT', resource: '/photos/users/alice/big.bin', headers: { 'content-type': 'application/octet-stream' }, parameters: { partNumber: 1, uploadId: '0004B9894A22E5B1888A1E29F823' } },
    ],
    ['InitiateMultipartUpload', { method: 'POST', resource: '/photos/users/alice/big.bin', headers: { 'content-type': 'application/octet-stream' }, parameters: { uploads: '' } }],
    [
      'GetObject with response-* overrides',
      {
        method: 'GET',
        resource: '/photos/users/alice/photo.jpg',
        headers: {},
        parameters: { 'response-content-type': 'image/png', 'response-content-disposition': 'attachment' },
      },
    ],
    ['GetObject of a non-ASCII key', { method: 'GET', resource: '/photos/users/alice/照片 1.jpg', headers: { 'x-oss-meta-a': 'b' }, parameters: {} }],
  ];

  it.each(headerRequests)('equals what ali-oss signs for %s sent with x-oss-security-token', (_name, request) => {
    // Prepare
    const received = sentWithoutToken(request, DATE);
    const expected = aliOss.buildCanonicalString(request.method, request.resource, { headers: { ...request.headers, 'x-oss-security-token': TOKEN }, parameters: request.parameters }, DATE);
    // Act
    const signed = bindSecurityToken(received, parseStringToSign(received), TOKEN);
    // Assess
    expect(signed).toBe(expected);
    expect(ossV1Authorization('STS.ak', 'sk', signed)).toBe(aliOss.authorization('STS.ak', 'sk', expected));
  });

  const presignedRequests: ReadonlyArray<readonly [string, Request]> = [
    ['a presigned GetObject without sub-resources', { method: 'GET', resource: '/photos/users/alice/photo.jpg', headers: {}, parameters: {} }],
    [
      'a presigned GetObject with response-* overrides (before security-token)',
      { method: 'GET', resource: '/photos/users/alice/photo.jpg', headers: {}, parameters: { 'response-content-type': 'image/png', 'response-cache-control': 'no-cache' } },
    ],
    [
      'a presigned UploadPart (security-token between partNumber and uploadId)',
      { method: 'PUT', resource: '/photos/users/alice/big.bin', headers: { 'content-type': 'application/octet-stream' }, parameters: { partNumber: 2, uploadId: 'abc' } },
    ],
    ['a presigned ListParts (security-token before uploadId)', { method: 'GET', resource: '/photos/users/alice/big.bin', headers: {}, parameters: { uploadId: 'abc' } }],
    ['a presigned PutObject with a meta header', { method: 'PUT', resource: '/photos/users/alice/a.txt', headers: { 'content-type': 'text/plain', 'x-oss-meta-owner': 'alice' }, parameters: {} }],
  ];

  it.each(presignedRequests)('equals what ali-oss signs for %s with security-token among the parameters', (_name, request) => {
    // Prepare
    const received = sentWithoutToken(request, EXPIRES);
    const expected = aliOss.buildCanonicalString(request.method, request.resource, { headers: request.headers, parameters: { ...request.parameters, 'security-token': TOKEN } }, EXPIRES);
    // Act
    const signed = bindSecurityToken(received, parseStringToSign(received), TOKEN);
    // Assess
    expect(signed).toBe(expected);
  });
});
