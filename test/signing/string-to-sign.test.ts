import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TvmError } from '../../shared/errors';
import { MAX_STRING_TO_SIGN_BYTES, parseRfc1123, parseStringToSign } from '../../shared/signing/string-to-sign';
import { refusal } from '../helpers/refusal';
import { oftenBe } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

const DATE = 'Wed, 27 Nov 2024 06:40:30 GMT';
const TIME = Date.UTC(2024, 10, 27, 6, 40, 30);

/** A content from its lines, as the SDKs join them. */
const content = (...lines: string[]) => lines.join('\n');

/** Asserts `text` is refused as malformed, with a message naming `reason`. */
function expectMalformed(text: string, reason: RegExp | string): void {
  const error = refusal(() => parseStringToSign(text));
  expect(error.status).toBe(400);
  expect(error.code).toBe('MalformedStringToSign');
  expect(error.message).toMatch(/^The string to sign is malformed: /);
  expect(error.message).toMatch(reason);
}

describe('parseStringToSign', () => {
  describe('mobile-shaped contents', () => {
    it('parses a PutObject with Content-MD5, Content-Type and a meta header into its fields', () => {
      // Prepare
      const text = content('PUT', '1B2M2Y8AsgTpgAmY7PhCfg==', 'image/jpeg', DATE, 'x-oss-meta-owner:alice', '/photos/users/alice/photo.jpg');
      // Act
      const parsed = parseStringToSign(text);
      // Assess
      expect(parsed).toEqual({
        verb: 'PUT',
        contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==',
        contentType: 'image/jpeg',
        date: { kind: 'date', time: TIME },
        headers: [['x-oss-meta-owner', 'alice']],
        bucket: 'photos',
        key: 'users/alice/photo.jpg',
        subresources: [],
      });
    });

    it('parses an UploadPart with its sub-resources in order, values kept verbatim', () => {
      const parsed = parseStringToSign(content('PUT', '', 'application/octet-stream', DATE, '/photos/users/alice/big.bin?partNumber=1&uploadId=0004B9894A22E5B1888A1E29F823****'));
      expect(parsed.contentMd5).toBe('');
      expect(parsed.key).toBe('users/alice/big.bin');
      expect(parsed.subresources).toEqual([
        ['partNumber', '1'],
        ['uploadId', '0004B9894A22E5B1888A1E29F823****'],
      ]);
    });

    it('parses a bare sub-resource name (InitiateMultipartUpload) with an undefined value', () => {
      const parsed = parseStringToSign(content('POST', '', 'application/octet-stream', DATE, '/photos/users/alice/big.bin?uploads'));
      expect(parsed.verb).toBe('POST');
      expect(parsed.subresources).toEqual([['uploads', undefined]]);
    });

    it('parses a GetObject with no Content-Type, several x-oss headers and response-* overrides', () => {
      const parsed = parseStringToSign(
        content('GET', '', '', DATE, 'x-oss-date:' + DATE, 'x-oss-meta-a:1', 'x-oss-security-token:token', '/photos/users/alice/a.jpg?response-content-disposition=attachment; filename="a b.jpg"&response-content-type=image/png'),
      );
      expect(parsed.contentType).toBe('');
      expect(parsed.headers).toEqual([
        ['x-oss-date', DATE],
        ['x-oss-meta-a', '1'],
        ['x-oss-security-token', 'token'],
      ]);
      expect(parsed.subresources).toEqual([
        ['response-content-disposition', 'attachment; filename="a b.jpg"'],
        ['response-content-type', 'image/png'],
      ]);
    });

    it('parses a presigned content, whose Date line is the Expires in seconds', () => {
      const parsed = parseStringToSign(content('GET', '', '', '1732690230', '/photos/users/alice/a.jpg'));
      expect(parsed.date).toEqual({ kind: 'expires', time: 1732690230_000 });
    });

    it('keeps a non-ASCII key as it is (V1 does not URL-encode the key)', () => {
      const parsed = parseStringToSign(content('GET', '', '', DATE, '/photos/users/alice/照片 1+2.jpg'));
      expect(parsed.key).toBe('users/alice/照片 1+2.jpg');
    });

    it('reads an empty x-oss-meta value, as the Android SDK signs it and OSS keeps it', () => {
      const parsed = parseStringToSign(content('PUT', '', '', DATE, 'x-oss-meta-empty:', 'x-oss-meta-owner:alice', '/photos/users/alice/a.jpg'));
      expect(parsed.headers).toEqual([['x-oss-meta-empty', ''], ['x-oss-meta-owner', 'alice']]);
    });

    it('says so when a header value is longer than 2048 characters, and reads one of exactly 2048', () => {
      expectMalformed(content('PUT', '', '', DATE, `x-oss-meta-a:${'a'.repeat(2049)}`, '/photos/users/alice/a.jpg'), 'the value of x-oss-meta-a is longer than 2048 characters');
      expect(parseStringToSign(content('PUT', '', '', DATE, `x-oss-meta-a:${'a'.repeat(2048)}`, '/photos/users/alice/a.jpg')).headers[0]?.[1]).toHaveLength(2048);
    });

    it('reads a "?" that no OSS sub-resource follows as part of the key (the Android SDK\'s what?.txt)', () => {
      for (const [resource, key] of [['/photos/users/alice/what?.txt', 'users/alice/what?.txt'], ['/photos/users/alice/a.jpg?', 'users/alice/a.jpg?'], ['/photos/users/alice/a?b c', 'users/alice/a?b c'], ['/photos/users/alice/a?&acl', 'users/alice/a?&acl'], ['/photos/users/alice/a?=1', 'users/alice/a?=1'], ['/photos/users/alice/a?aclx', 'users/alice/a?aclx'], ['/photos/users/alice/?照片', 'users/alice/?照片']] as const) {
        expect(parseStringToSign(content('GET', '', '', DATE, resource))).toMatchObject({ key, subresources: [] });
      }
      expect(parseStringToSign(content('PUT', '', '', DATE, '/photos/users/alice/what?.txt?partNumber=1&uploadId=abc'))).toMatchObject({ key: 'users/alice/what?.txt', subresources: [['partNumber', '1'], ['uploadId', 'abc']] });
    });

    it('refuses a resource where OSS could read sub-resources after more than one "?", with 403 SubResourceNotAllowed', () => {
      for (const resource of ['/photos/users/mallory/x?response-content-type=a?x-oss-process=image/resize,w_1', '/photos/users/mallory/x?acl=?uploads', '/photos/users/mallory/x?uploads&y?acl', '/photos/users/mallory/x?versionId=1?x-oss-anything']) {
        const error = refusal(() => parseStringToSign(content('GET', '', '', DATE, resource)));
        expect([error.status, error.code]).toEqual([403, 'SubResourceNotAllowed']);
        expect(error.message).toMatch(/ambiguous/);
      }
    });

    it('splits the resource at the first "?" only, leaving later ones in the sub-resource value', () => {
      const parsed = parseStringToSign(content('GET', '', '', DATE, '/photos/users/alice/a?response-content-type=a?b'));
      expect(parsed.key).toBe('users/alice/a');
      expect(parsed.subresources).toEqual([['response-content-type', 'a?b']]);
    });

    it('parses bucket-level and service-level resources, leaving their refusal to authorization', () => {
      expect(parseStringToSign(content('GET', '', '', DATE, '/photos/'))).toMatchObject({ bucket: 'photos', key: '' });
      expect(parseStringToSign(content('GET', '', '', DATE, '/photos/?acl'))).toMatchObject({ bucket: 'photos', key: '', subresources: [['acl', undefined]] });
      expect(parseStringToSign(content('GET', '', '', DATE, '/'))).toMatchObject({ bucket: '', key: '' });
    });

    it('accepts every verb of the allow-list', () => {
      for (const verb of ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']) {
        expect(parseStringToSign(content(verb, '', '', DATE, '/photos/users/alice/a')).verb).toBe(verb);
      }
    });

    it('accepts a content of exactly the size limit', () => {
      const head = content('PUT', '', '', DATE, '/photos/users/alice/');
      const text = head + 'a'.repeat(MAX_STRING_TO_SIGN_BYTES - head.length);
      expect(Buffer.byteLength(text)).toBe(MAX_STRING_TO_SIGN_BYTES);
      expect(parseStringToSign(text).key.length).toBe(MAX_STRING_TO_SIGN_BYTES - head.length + 'users/alice/'.length);
    });
  });

  describe('grammar refusals', () => {
    it('refuses more than 8 KiB, counted in UTF-8 bytes, with 413 PayloadTooLarge', () => {
      // Prepare: 2731 three-byte characters are 8193 bytes but only 2731 UTF-16 units
      const head = content('PUT', '', '', DATE, '/photos/users/alice/');
      const text = head + '照'.repeat(Math.ceil((MAX_STRING_TO_SIGN_BYTES - head.length + 1) / 3));
      // Act
      const error = refusal(() => parseStringToSign(text));
      // Assess
      expect(text.length).toBeLessThan(MAX_STRING_TO_SIGN_BYTES);
      expect(error.status).toBe(413);
      expect(error.code).toBe('PayloadTooLarge');
      expect(error.message).toContain('8192 bytes');
    });

    it('refuses an empty content', () => {
      expectMalformed('', 'it is empty');
    });

    it('refuses a lone surrogate (text that is not valid Unicode)', () => {
      expectMalformed(content('GET', '', '', DATE, '/photos/users/alice/\ud800.jpg'), 'not valid Unicode');
    });

    it.each([
      ['a carriage return', '\r'],
      ['a NUL', '\u0000'],
      ['a tab', '\t'],
      ['DEL', '\u007f'],
      ['a C1 control (NEL)', '\u0085'],
      ['a line separator', '\u2028'],
      ['a paragraph separator', '\u2029'],
    ])('refuses %s anywhere in the content', (_name, control) => {
      expectMalformed(content('GET', '', '', DATE, `/photos/users/alice/a${control}b.jpg`), 'control character');
      expectMalformed(content('GET', '', `text/plain${control}`, DATE, '/photos/users/alice/a.jpg'), 'control character');
    });

    it('refuses fewer than five lines', () => {
      expectMalformed(content('GET', '', DATE, '/photos/users/alice/a.jpg'), 'at least five lines');
      expectMalformed('GET', 'at least five lines');
    });

    it('refuses a first line that is not an HTTP method', () => {
      for (const verb of ['get', 'GET ', '', 'G3T', 'X'.repeat(17)]) {
        expectMalformed(content(verb, '', '', DATE, '/photos/users/alice/a.jpg'), 'first line is not an HTTP method');
      }
    });

    it('refuses a method outside the allow-list with 403 VerbNotAllowed, naming the allowed ones', () => {
      for (const verb of ['PATCH', 'OPTIONS', 'TRACE', 'CONNECT']) {
        const error = refusal(() => parseStringToSign(content(verb, '', '', DATE, '/photos/users/alice/a.jpg')));
        expect(error.status).toBe(403);
        expect(error.code).toBe('VerbNotAllowed');
        expect(error.message).toBe(`Requests with ${verb} are not signed; only GET, HEAD, PUT, POST, DELETE.`);
      }
    });

    it('refuses a Content-MD5 line that is neither empty nor 24 base64 characters', () => {
      for (const md5 of ['1B2M2Y8AsgTpgAmY7PhCfg=', '1B2M2Y8AsgTpgAmY7PhCfg===', '1B2M2Y8AsgTpgAmY7PhCf!==', 'd41d8cd98f00b204e9800998ecf8427e', ' ']) {
        expectMalformed(content('PUT', md5, '', DATE, '/photos/users/alice/a.jpg'), 'Content-MD5 line is neither empty nor 24 base64 characters');
      }
    });

    it('refuses a Content-Type line that is not printable ASCII of at most 256 characters', () => {
      for (const type of [' image/jpeg', 'image/jpeg ', 'bild/ä', 'a'.repeat(257)]) {
        expectMalformed(content('PUT', '', type, DATE, '/photos/users/alice/a.jpg'), 'Content-Type line is not a printable ASCII value');
      }
      expect(parseStringToSign(content('PUT', '', 'a'.repeat(256), DATE, '/photos/users/alice/a.jpg')).contentType).toHaveLength(256);
    });

    it('refuses a Date line that is neither an RFC 1123 GMT date nor an Expires', () => {
      for (const date of ['', '2024-11-27T06:40:30Z', 'Wed, 27 Nov 2024 06:40:30 +0000', '0', '01732690230', '1'.repeat(13), '-1', 'Wed, 30 Nov 2024 06:40:30 GMT']) {
        expectMalformed(content('GET', '', '', date, '/photos/users/alice/a.jpg'), 'Date line is neither an RFC 1123 GMT date nor a presigned URL\'s Expires');
      }
    });

    it('refuses an x-oss line that is not lowercase "x-oss-name:value"', () => {
      for (const line of ['X-OSS-Meta-A:1', 'x-oss-meta-a: 1', 'x-oss-meta-a :1', 'x-oss-date:', 'x-oss-meta-a:1 ', 'x-oss-meta-a: ', 'x-oss-:1', 'content-length:1', 'x-oss-meta_a:1', 'x-oss-meta-a:ä', '']) {
        expectMalformed(content('GET', '', '', DATE, line, '/photos/users/alice/a.jpg'), 'a header line is not a lowercase "x-oss-name:value" line');
      }
    });

    it('refuses x-oss lines that are unsorted or repeated', () => {
      expectMalformed(content('GET', '', '', DATE, 'x-oss-meta-b:1', 'x-oss-meta-a:1', '/photos/users/alice/a.jpg'), 'not in strictly ascending order of name');
      expectMalformed(content('GET', '', '', DATE, 'x-oss-meta-a:1', 'x-oss-meta-a:2', '/photos/users/alice/a.jpg'), 'not in strictly ascending order of name');
    });

    it('refuses a second resource line', () => {
      expectMalformed(content('GET', '', '', DATE, '/photos/users/bob/a.jpg', '/photos/users/alice/a.jpg'), 'more than one resource line');
    });

    it('refuses a last line that is not a resource, such as a trailing line feed', () => {
      expectMalformed(content('GET', '', '', DATE, '/photos/users/alice/a.jpg', ''), 'last line is not a resource starting with "/"');
      expectMalformed(content('GET', '', '', DATE, 'photos/users/alice/a.jpg'), 'last line is not a resource starting with "/"');
    });

    it('refuses a resource naming a bucket without the slash after it', () => {
      expectMalformed(content('GET', '', '', DATE, '/photos'), 'names a bucket without the "/" that follows it');
      expectMalformed(content('GET', '', '', DATE, '/photos?acl'), 'names a bucket without the "/" that follows it');
    });

    it('refuses an empty or invalid sub-resource name after one that OSS reads', () => {
      for (const query of ['acl&', 'uploads&&uploadId=1', 'acl&a b', 'acl&ä', 'acl&=1']) {
        expectMalformed(content('GET', '', '', DATE, `/photos/users/alice/a.jpg?${query}`), 'a sub-resource has an empty or invalid name');
      }
    });

    it('refuses sub-resources that are unsorted or repeated', () => {
      expectMalformed(content('PUT', '', '', DATE, '/photos/users/alice/a.jpg?uploadId=1&partNumber=1'), 'sub-resources are not in strictly ascending order of name');
      expectMalformed(content('GET', '', '', DATE, '/photos/users/alice/a.jpg?acl&acl'), 'sub-resources are not in strictly ascending order of name');
    });
  });

  describe('fuzzing', () => {
    const isExpectedRefusal = (error: unknown) => error instanceof TvmError && [400, 403, 413].includes(error.status);
    const line = fc.oneof(
      fc.string({ unit: BINARY, maxLength: 30 }),
      fc.constantFrom('GET', 'PUT', 'PATCH', '', DATE, '1732690230', 'x-oss-meta-a:1', 'x-oss-security-token:token', '/photos/users/alice/a.jpg', '/photos/?acl', '/', '?', '&', '\r'),
    );
    const lineBased = fc.array(line, { maxLength: 9 }).map((lines) => lines.join('\n'));
    const anything = fc.oneof(fc.string({ unit: BINARY, maxLength: 200 }), fc.string({ unit: fc.constantFrom('\n', '\r', '/', '?', '&', '=', ':', 'a', 'G', '\ud800', '照'), maxLength: 60 }), lineBased, fc.nat({ max: 9000 }).map((n) => 'x'.repeat(n)));

    it('never throws anything but a TvmError with 400, 403 or 413 on arbitrary input', () => {
      fc.assert(
        fc.property(anything, (text) => {
          try {
            parseStringToSign(text);
          } catch (error) {
            if (!isExpectedRefusal(error)) throw error;
          }
        }),
        { numRuns: 10_000 },
      );
    });
  });
});

describe('parseRfc1123', () => {
  it('parses a valid RFC 1123 GMT date to its time in ms', () => {
    expect(parseRfc1123(DATE)).toBe(TIME);
    expect(parseRfc1123('Thu, 29 Feb 2024 23:59:59 GMT')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseRfc1123('Thu, 01 Jan 1970 00:00:00 GMT')).toBe(0);
    expect(parseRfc1123('Fri, 31 Dec 9999 23:59:59 GMT')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
  });

  it('parses what Date#toUTCString prints, the format the SDKs send', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (seconds) => {
        const time = seconds * 1000;
        oftenBe(parseRfc1123(new Date(time).toUTCString()), time);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['a wrong weekday', 'Thu, 27 Nov 2024 06:40:30 GMT'],
    ['Feb 30', 'Fri, 30 Feb 2024 06:40:30 GMT'],
    ['Feb 29 of a common year', 'Thu, 29 Feb 2023 06:40:30 GMT'],
    ['24:00:00', 'Wed, 27 Nov 2024 24:00:00 GMT'],
    ['minute 60', 'Wed, 27 Nov 2024 06:60:30 GMT'],
    ['second 60', 'Wed, 27 Nov 2024 06:40:60 GMT'],
    ['a lowercase month', 'Wed, 27 nov 2024 06:40:30 GMT'],
    ['a lowercase weekday', 'wed, 27 Nov 2024 06:40:30 GMT'],
    ['a missing GMT', 'Wed, 27 Nov 2024 06:40:30'],
    ['UTC instead of GMT', 'Wed, 27 Nov 2024 06:40:30 UTC'],
    ['a numeric zone', 'Wed, 27 Nov 2024 06:40:30 +0000'],
    ['a one-digit day', 'Wed, 7 Nov 2024 06:40:30 GMT'],
    ['a two-digit year (RFC 850)', 'Wed, 27 Nov 24 06:40:30 GMT'],
    ['day 00', 'Wed, 00 Nov 2024 06:40:30 GMT'],
    ['a year Date.UTC would read as 19xx', 'Thu, 01 Jan 0070 00:00:00 GMT'],
    ['extra spaces', 'Wed,  27 Nov 2024 06:40:30 GMT'],
    ['a trailing space', `${DATE} `],
    ['ISO 8601', '2024-11-27T06:40:30Z'],
    ['the empty string', ''],
  ])('refuses %s', (_name, text) => {
    expect(parseRfc1123(text)).toBeUndefined();
  });
});
