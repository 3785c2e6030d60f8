/** readSignRequest: what a sign-request HTTP request asks to have signed, and the refusals before any parsing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import type { HttpRequest } from '../../shared/http/message';
import { MAX_SIGN_REQUEST_BYTES, type SignRequest, readSessionRequest, readSignRequest } from '../../shared/signing/sign-request';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { refusal } from '../helpers/refusal';
import { oftenBe, oftenInstanceOf, oftenWithin } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

const CONTENT = 'PUT\n\nimage/jpeg\nMon, 23 Nov 2026 10:00:00 GMT\nx-oss-meta-owner:alice\n/photos/users/alice/a.jpg';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A sign-request HTTP request: POST with a text/plain body unless told otherwise. */
function request(options: { method?: string; contentType?: string | null; body?: string | Buffer; query?: Record<string, string> } = {}): HttpRequest {
  const contentType = options.contentType === undefined ? 'text/plain' : options.contentType;
  const body = options.body ?? CONTENT;
  return {
    method: options.method ?? 'POST',
    path: '/',
    headers: contentType === null ? {} : { 'content-type': contentType },
    query: options.query ?? {},
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  };
}

/** {@link readSignRequest} of a V1 content (text or JSON), failing the test for any other shape. */
function readContent(http: HttpRequest): Extract<SignRequest, { mode: 'text' | 'json' }> {
  const read = readSignRequest(http);
  if (read.mode !== 'text' && read.mode !== 'json') throw new Error(`expected a V1 content, read ${read.mode}`);
  return read;
}

const json = (value: unknown): Partial<Parameters<typeof request>[0]> => ({ contentType: 'application/json', body: JSON.stringify(value) });

describe('readSignRequest', () => {
  describe('text mode', () => {
    it('takes a text/plain body as the string-to-sign, exactly as received', () => {
      // Act
      const read = readSignRequest(request());

      // Assess
      expect(read).toEqual({ mode: 'text', stringToSign: CONTENT });
      expect('scope' in read).toBe(false);
    });

    it.each(['text/plain; charset=utf-8', 'Text/Plain;charset=UTF-8', ' text/plain ', 'TEXT/PLAIN'])('accepts the content type %j', (contentType) => {
      expect(readSignRequest(request({ contentType }))).toEqual({ mode: 'text', stringToSign: CONTENT });
    });

    it('reads a body without a content type as text', () => {
      expect(readSignRequest(request({ contentType: null }))).toEqual({ mode: 'text', stringToSign: CONTENT });
    });

    it('takes the scope from the query', () => {
      expect(readSignRequest(request({ query: { scope: 'shared' } }))).toEqual({ mode: 'text', stringToSign: CONTENT, scope: 'shared' });
    });

    it('treats an empty ?scope= as no scope', () => {
      expect('scope' in readSignRequest(request({ query: { scope: '' } }))).toBe(false);
    });

    it('keeps multi-byte UTF-8 characters and CR, tabs and other characters for the parser to judge', () => {
      const content = 'PUT\r\n\n\t\nx\n/photos/users/alice/é😀.jpg';

      expect(readContent(request({ body: content })).stringToSign).toBe(content);
    });

    it('reads an empty body as an empty string-to-sign (the parser refuses it after authentication)', () => {
      expect(readSignRequest(request({ body: '' }))).toEqual({ mode: 'text', stringToSign: '' });
    });
  });

  describe('JSON mode', () => {
    it('takes stringToSign and scope from an application/json body', () => {
      expect(readSignRequest(request(json({ stringToSign: CONTENT, scope: 'shared' })))).toEqual({ mode: 'json', stringToSign: CONTENT, scope: 'shared' });
    });

    it('needs no scope', () => {
      const read = readSignRequest(request(json({ stringToSign: CONTENT })));

      expect(read).toEqual({ mode: 'json', stringToSign: CONTENT });
      expect('scope' in read).toBe(false);
    });

    it('accepts application/json with parameters and in any case', () => {
      const read = readSignRequest(request({ ...json({ stringToSign: CONTENT }), contentType: 'Application/JSON; charset=utf-8' }));

      expect(read.mode).toBe('json');
    });

    it('takes the scope from the query when the body has none, or the same one', () => {
      expect(readSignRequest(request({ ...json({ stringToSign: CONTENT }), query: { scope: 'shared' } })).scope).toBe('shared');
      expect(readSignRequest(request({ ...json({ stringToSign: CONTENT, scope: 'shared' }), query: { scope: 'shared' } })).scope).toBe('shared');
    });

    it('treats an empty "scope" as no scope', () => {
      expect('scope' in readSignRequest(request(json({ stringToSign: CONTENT, scope: '' })))).toBe(false);
    });

    it('decodes JSON escapes into the content (newlines are real line feeds)', () => {
      const read = readContent(request({ contentType: 'application/json', body: '{"stringToSign":"GET\\n\\n\\n1700000000\\n/photos/users/alice/\\u00e9.jpg"}' }));

      expect(read.stringToSign).toBe('GET\n\n\n1700000000\n/photos/users/alice/é.jpg');
    });

    it('refuses a scope given twice with different values', () => {
      const error = refusal(() => readSignRequest(request({ ...json({ stringToSign: CONTENT, scope: 'user' }), query: { scope: 'shared' } })));

      expect([error.status, error.code]).toEqual([400, 'MalformedRequest']);
      expect(error.message).toContain('twice');
    });

    it.each([
      ['a body that is not JSON', '{"stringToSign":'],
      ['an empty body', ''],
      ['an array', '["PUT"]'],
      ['null', 'null'],
      ['a string', JSON.stringify(CONTENT)],
      ['a number', '42'],
      ['no stringToSign', '{"scope":"user"}'],
      ['a stringToSign that is not a string', '{"stringToSign":["PUT"]}'],
      ['a null stringToSign', '{"stringToSign":null}'],
      ['a scope that is not a string', `{"stringToSign":${JSON.stringify(CONTENT)},"scope":1}`],
      ['a null scope', `{"stringToSign":${JSON.stringify(CONTENT)},"scope":null}`],
      ['an extra field', `{"stringToSign":${JSON.stringify(CONTENT)},"securityToken":"x"}`],
      ['a __proto__ field', `{"stringToSign":${JSON.stringify(CONTENT)},"__proto__":{"scope":"admin"}}`],
    ])('refuses %s with 400 MalformedRequest', (_case, body) => {
      const error = refusal(() => readSignRequest(request({ contentType: 'application/json', body })));

      expect([error.status, error.code]).toEqual([400, 'MalformedRequest']);
    });
  });

  describe('RemoteSignerV4 and RemoteSignerV1 maps', () => {
    const V4_MAP = { version: 'v4', method: 'PUT', bucket: 'photos', key: 'users/alice/a.jpg', stringToSign: 'OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n' + 'a'.repeat(64), region: 'cn-hangzhou', product: 'oss', date: '20231216', accessKeyId: 'STS.ak' };
    const V1_MAP = { version: 'v1', method: 'PUT', bucket: 'photos', key: 'users/alice/a.jpg', stringToSign: CONTENT, accessKeyId: 'STS.ak' };

    it('reads the Kotlin/Swift v2 RemoteSignerV4 map as it is sent, with the scope from the query or the body', () => {
      expect(readSignRequest(request(json(V4_MAP)))).toEqual({ mode: 'remoteSignerV4', info: V4_MAP });
      expect(readSignRequest(request({ ...json(V4_MAP), query: { scope: 'shared' } }))).toEqual({ mode: 'remoteSignerV4', info: V4_MAP, scope: 'shared' });
      expect(readSignRequest(request(json({ ...V4_MAP, scope: 'shared' })))).toEqual({ mode: 'remoteSignerV4', info: V4_MAP, scope: 'shared' });
    });

    it('reads a RemoteSignerV1 map, with the Swift SDK\'s "date" or without it (Kotlin)', () => {
      expect(readSignRequest(request(json(V1_MAP)))).toEqual({ mode: 'remoteSignerV1', info: V1_MAP });
      const swift = { ...V1_MAP, date: 'Mon, 23 Nov 2026 10:00:00 GMT' };
      expect(readSignRequest(request(json(swift)))).toEqual({ mode: 'remoteSignerV1', info: swift });
    });

    it.each([
      ['a V4 map without "region"', { ...V4_MAP, region: undefined }],
      ['a V4 map with "date" as a number', { ...V4_MAP, date: 20231216 }],
      ['a V4 map with an empty-object key', { ...V4_MAP, key: {} }],
      ['a V4 map with a field too many', { ...V4_MAP, securityToken: 'x' }],
      ['a V4 map with a __proto__ field', JSON.parse(`{"__proto__":{"region":"x"},${JSON.stringify(V4_MAP).slice(1)}`) as unknown],
      ['a V1 map with "region"', { ...V1_MAP, region: 'cn-hangzhou' }],
      ['a V1 map without "accessKeyId"', { ...V1_MAP, accessKeyId: undefined }],
      ['a V1 map with "date" null', { ...V1_MAP, date: null }],
      ['a version "V4"', { ...V4_MAP, version: 'V4' }],
      ['a version 4', { ...V4_MAP, version: 4 }],
      ['a version null', { ...V1_MAP, version: null }],
      ['a scope twice, different', { ...V4_MAP, scope: 'user', other: undefined }],
    ])('refuses %s with 400 MalformedRequest', (_case, body) => {
      const error = refusal(() => readSignRequest(request({ ...json(body), query: { scope: 'shared' } })));

      expect([error.status, error.code]).toEqual([400, 'MalformedRequest']);
    });
  });

  describe('readSessionRequest', () => {
    it('reads a GET with or without ?scope=, ignoring any body', () => {
      expect(readSessionRequest(request({ method: 'GET' }))).toEqual({});
      expect(readSessionRequest(request({ method: 'GET', query: { scope: 'shared' } }))).toEqual({ scope: 'shared' });
      expect(readSessionRequest(request({ method: 'GET', query: { scope: '' }, contentType: 'text/html', body: Buffer.from([0xff]) }))).toEqual({});
    });

    it.each(['POST', 'PUT', 'DELETE'])('refuses %s with 405 and Allow: POST, GET, OPTIONS', (method) => {
      const error = refusal(() => readSessionRequest(request({ method })));

      expect([error.status, error.code, error.headers['Allow']]).toEqual([405, 'MethodNotAllowed', 'POST, GET, OPTIONS']);
    });
  });

  describe('refusals of the HTTP request', () => {
    it.each(['GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'])('refuses %s with 405 and Allow: POST', (method) => {
      const error = refusal(() => readSignRequest(request({ method })));

      expect([error.status, error.code]).toEqual([405, 'MethodNotAllowed']);
      expect(error.headers['Allow']).toMatch(/^POST\b/);
    });

    it('refuses another method before looking at the content type or body', () => {
      const error = refusal(() => readSignRequest(request({ method: 'GET', contentType: 'text/html', body: Buffer.from([0xff]) })));

      expect(error.status).toBe(405);
    });

    it.each(['text/html', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x', 'text/plain-ish', 'application/jsonx', 'text', '*/*'])(
      'refuses the content type %j with 415 UnsupportedMediaType',
      (contentType) => {
        const error = refusal(() => readSignRequest(request({ contentType })));

        expect([error.status, error.code]).toEqual([415, 'UnsupportedMediaType']);
      },
    );

    it('answers 415 for an unsupported content type even when the body is not UTF-8 (a binary upload sent by mistake)', () => {
      const error = refusal(() => readSignRequest(request({ contentType: 'image/jpeg', body: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) })));

      expect([error.status, error.code]).toEqual([415, 'UnsupportedMediaType']);
    });

    it.each([
      ['a byte that never occurs in UTF-8', [0x50, 0x55, 0x54, 0x0a, 0xff]],
      ['an overlong encoding of "/"', [0x50, 0x55, 0x54, 0x0a, 0xc0, 0xaf]],
      ['an encoded surrogate', [0x50, 0x55, 0x54, 0x0a, 0xed, 0xa0, 0x80]],
      ['a truncated sequence', [0x50, 0x55, 0x54, 0x0a, 0xe2, 0x82]],
      ['a lone continuation byte', [0x80, 0x50, 0x55, 0x54]],
      ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ])('refuses %s with 400 MalformedStringToSign instead of repairing it', (_case, bytes) => {
      for (const contentType of ['text/plain', 'application/json']) {
        const error = refusal(() => readSignRequest(request({ contentType, body: Buffer.from(bytes) })));

        expect([error.status, error.code]).toEqual([400, 'MalformedStringToSign']);
        expect(error.message).toContain('UTF-8');
      }
    });
  });

  describe('a byte order mark', () => {
    it('is kept, not stripped, in text mode: the content is signed exactly as received or not at all', () => {
      // Prepare
      const body = Buffer.concat([BOM, Buffer.from(CONTENT)]);

      // Act
      const read = readContent(request({ body }));

      // Assess: the BOM reaches the parser, which refuses the first line as no HTTP method.
      expect(read.stringToSign).toBe(`\uFEFF${CONTENT}`);
      const error = refusal(() => parseStringToSign(read.stringToSign));
      expect([error.status, error.code]).toEqual([400, 'MalformedStringToSign']);
    });

    it('makes a JSON body invalid JSON', () => {
      const error = refusal(() => readSignRequest(request({ contentType: 'application/json', body: Buffer.concat([BOM, Buffer.from(JSON.stringify({ stringToSign: CONTENT }))]) })));

      expect([error.status, error.code]).toEqual([400, 'MalformedRequest']);
    });

    it('is kept inside a JSON string too', () => {
      expect(readContent(request(json({ stringToSign: `\uFEFF${CONTENT}` }))).stringToSign).toBe(`\uFEFF${CONTENT}`);
    });
  });

  describe('any request (property)', () => {
    const contentTypes = fc.oneof(
      fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'application/json', 'APPLICATION/JSON;charset=utf-8', 'text/html', '', ';', ' ; text/plain', 'application/json;;'),
      fc.string({ maxLength: 40 }),
      fc.constant(null),
    );
    const jsonBodies = fc
      .record(
        {
          stringToSign: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constant(CONTENT), fc.jsonValue()),
          scope: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('user', 'shared'), fc.jsonValue()),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((value) => Buffer.from(JSON.stringify(value)));
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: BINARY, maxLength: 300 }).map((text) => Buffer.from(text, 'utf8')),
      fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? '')),
      jsonBodies,
      fc.constant(Buffer.concat([BOM, Buffer.from(CONTENT)])),
    );
    const requests = fc.record({
      method: fc.oneof(fc.constant('POST'), fc.constant('POST'), fc.constantFrom('GET', 'PUT', 'OPTIONS'), fc.stringMatching(/^[A-Z]{1,16}$/)),
      contentType: contentTypes,
      body: bodies,
      query: fc.oneof(fc.constant({}), fc.record({ scope: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('user', 'shared', '')) }), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))),
    });

    it('returns a well-formed request or throws a TvmError 4xx, never anything else, and never repairs a text body', () => {
      fc.assert(
        fc.property(requests, ({ method, contentType, body, query }) => {
          const http: HttpRequest = { method, path: '/', headers: contentType === null ? {} : { 'content-type': contentType }, query, body };
          let read;
          try {
            read = readSignRequest(http);
          } catch (error) {
            oftenInstanceOf(error, TvmError);
            oftenWithin((error as TvmError).status, 400, 500);
            return;
          }
          oftenBe(method, 'POST');
          // The V4 shapes need "version", which these bodies do not hold.
          if (read.mode !== 'text' && read.mode !== 'json') throw new Error(`a V1 body read as ${read.mode}`);
          oftenBe(typeof read.stringToSign, 'string');
          if (read.scope !== undefined) expect(read.scope).not.toBe('');
          if (read.mode === 'text') oftenBe(Buffer.from(read.stringToSign, 'utf8').equals(body), true);
          // What it returns, the parser may refuse, but only with a TvmError 4xx.
          try {
            parseStringToSign(read.stringToSign);
          } catch (error) {
            oftenInstanceOf(error, TvmError);
            oftenWithin((error as TvmError).status, 400, 500);
          }
        }),
        { numRuns: 10_000 },
      );
    });
  });

  it('accepts bodies up to MAX_SIGN_REQUEST_BYTES, which holds a JSON-escaped 8 KiB content', () => {
    const content = "\n".repeat(8 * 1024);
    const body = JSON.stringify({ stringToSign: content, scope: 'user' });

    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_SIGN_REQUEST_BYTES);
    expect(readContent(request({ contentType: 'application/json', body })).stringToSign).toBe(content);
  });
});
