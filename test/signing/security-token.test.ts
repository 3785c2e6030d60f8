import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bindSecurityToken } from '../../shared/signing/security-token';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { refusal } from '../helpers/refusal';
import { oftenBe, oftenEqual } from '../helpers/often';

const DATE = 'Wed, 27 Nov 2024 06:40:30 GMT';
const EXPIRES = '1732690230';
const TOKEN = 'token';

const content = (...lines: string[]) => lines.join('\n');
const bind = (raw: string, token: string | undefined) => bindSecurityToken(raw, parseStringToSign(raw), token);

describe('bindSecurityToken', () => {
  describe('header-signed contents', () => {
    it('inserts the token line when there are no x-oss lines at all, just before the resource', () => {
      // Prepare
      const raw = content('PUT', '', 'image/jpeg', DATE, '/photos/users/alice/a.jpg');
      // Act
      const signed = bind(raw, TOKEN);
      // Assess
      expect(signed).toBe(content('PUT', '', 'image/jpeg', DATE, 'x-oss-security-token:token', '/photos/users/alice/a.jpg'));
    });

    it('inserts the token line after x-oss lines that sort before it', () => {
      const raw = content('PUT', '', '', DATE, 'x-oss-date:' + DATE, 'x-oss-meta-owner:alice', '/photos/users/alice/a.jpg');
      expect(bind(raw, TOKEN)).toBe(content('PUT', '', '', DATE, 'x-oss-date:' + DATE, 'x-oss-meta-owner:alice', 'x-oss-security-token:token', '/photos/users/alice/a.jpg'));
    });

    it('inserts the token line before x-oss lines that sort after it', () => {
      const raw = content('GET', '', '', DATE, 'x-oss-traffic-limit:819200', '/photos/users/alice/a.jpg');
      expect(bind(raw, TOKEN)).toBe(content('GET', '', '', DATE, 'x-oss-security-token:token', 'x-oss-traffic-limit:819200', '/photos/users/alice/a.jpg'));
    });

    it('inserts the token line between x-oss lines before and after its place', () => {
      const raw = content('PUT', '1B2M2Y8AsgTpgAmY7PhCfg==', 'image/jpeg', DATE, 'x-oss-meta-a:1', 'x-oss-range-behavior:standard', 'x-oss-traffic-limit:819200', '/photos/users/alice/a.jpg?partNumber=1&uploadId=abc');
      expect(bind(raw, TOKEN)).toBe(
        content('PUT', '1B2M2Y8AsgTpgAmY7PhCfg==', 'image/jpeg', DATE, 'x-oss-meta-a:1', 'x-oss-range-behavior:standard', 'x-oss-security-token:token', 'x-oss-traffic-limit:819200', '/photos/users/alice/a.jpg?partNumber=1&uploadId=abc'),
      );
    });

    it('yields a content that parses with the token among strictly ascending x-oss lines', () => {
      const names = fc.uniqueArray(fc.stringMatching(/^x-oss-[a-z0-9-]{1,10}$/).filter((name) => name !== 'x-oss-security-token'), { maxLength: 6 });
      fc.assert(
        fc.property(names, (unsorted) => {
          // Prepare
          const headers = [...unsorted].sort().map((name) => `${name}:v`);
          const raw = content('PUT', '', '', DATE, ...headers, '/photos/users/alice/a.jpg');
          // Act
          const parsed = parseStringToSign(bind(raw, TOKEN));
          // Assess
          oftenEqual(parsed.headers.map(([name]) => name), [...unsorted, 'x-oss-security-token'].sort());
          oftenBe(parsed.headers.find(([name]) => name === 'x-oss-security-token')?.[1], TOKEN);
        }),
        { numRuns: 1_000 },
      );
    });

    it('returns a content already carrying the same token unchanged', () => {
      const raw = content('PUT', '', '', DATE, 'x-oss-meta-a:1', 'x-oss-security-token:token', '/photos/users/alice/a.jpg');
      expect(bind(raw, TOKEN)).toBe(raw);
    });

    it('refuses a content carrying another token with 409 SecurityTokenMismatch, handing out the current token', () => {
      // Prepare
      const raw = content('PUT', '', '', DATE, 'x-oss-security-token:old-token', '/photos/users/alice/a.jpg');
      // Act
      const error = refusal(() => bind(raw, TOKEN));
      // Assess
      expect(error.status).toBe(409);
      expect(error.code).toBe('SecurityTokenMismatch');
      expect(error.bodyFields).toEqual({ SecurityToken: TOKEN });
      expect(error.headers).toEqual({ 'x-oss-security-token': TOKEN });
      expect(error.message).toBe('The string to sign carries a security token other than the current one. Use the token in this response and sign again.');
      expect(error.message).not.toContain('old-token');
    });

    it('leaves a header-signed content unchanged when the keys are long-term (no token)', () => {
      const raw = content('PUT', '', '', DATE, 'x-oss-meta-a:1', '/photos/users/alice/a.jpg');
      expect(bind(raw, undefined)).toBe(raw);
    });

    it('refuses a content carrying a token when the keys are long-term, telling to remove it', () => {
      const error = refusal(() => bind(content('PUT', '', '', DATE, 'x-oss-security-token:token', '/photos/users/alice/a.jpg'), undefined));
      expect(error.status).toBe(409);
      expect(error.code).toBe('SecurityTokenMismatch');
      expect(error.message).toContain('remove it');
      expect(error.bodyFields).toEqual({});
      expect(error.headers).toEqual({});
    });
  });

  describe('presigned contents (Date line = Expires)', () => {
    it('appends the security-token sub-resource to a resource without a query', () => {
      const raw = content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg');
      expect(bind(raw, TOKEN)).toBe(content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?security-token=token'));
    });

    it('inserts the sub-resource after sub-resources that sort before it', () => {
      const raw = content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?response-cache-control=no-cache&response-content-type=image/png');
      expect(bind(raw, TOKEN)).toBe(content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?response-cache-control=no-cache&response-content-type=image/png&security-token=token'));
    });

    it('inserts the sub-resource before sub-resources that sort after it', () => {
      const raw = content('GET', '', '', EXPIRES, '/photos/users/alice/a.bin?uploadId=abc');
      expect(bind(raw, TOKEN)).toBe(content('GET', '', '', EXPIRES, '/photos/users/alice/a.bin?security-token=token&uploadId=abc'));
    });

    it('inserts the sub-resource between sub-resources before and after its place', () => {
      const raw = content('PUT', '', 'application/octet-stream', EXPIRES, 'x-oss-meta-a:1', '/photos/users/alice/a.bin?partNumber=3&uploadId=abc');
      expect(bind(raw, TOKEN)).toBe(content('PUT', '', 'application/octet-stream', EXPIRES, 'x-oss-meta-a:1', '/photos/users/alice/a.bin?partNumber=3&security-token=token&uploadId=abc'));
    });

    it('keeps a token whose base64 text holds "=", "+" and "/" verbatim', () => {
      const raw = content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?uploadId=abc');
      expect(bind(raw, 'CAIS+a/b==')).toBe(content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?security-token=CAIS+a/b==&uploadId=abc'));
    });

    it('does not insert a header line into a presigned content', () => {
      const signed = bind(content('GET', '', '', EXPIRES, 'x-oss-meta-a:1', '/photos/users/alice/a.jpg'), TOKEN);
      expect(signed).not.toContain('x-oss-security-token');
    });

    it('adds the token where the sub-resources start, after a key that holds "?"', () => {
      expect(bind(content('GET', '', '', EXPIRES, '/photos/users/alice/what?.txt'), TOKEN)).toBe(content('GET', '', '', EXPIRES, '/photos/users/alice/what?.txt?security-token=token'));
      expect(bind(content('GET', '', '', EXPIRES, '/photos/users/alice/a?b?response-content-type=a?c'), TOKEN)).toBe(content('GET', '', '', EXPIRES, '/photos/users/alice/a?b?response-content-type=a?c&security-token=token'));
    });

    it('returns a presigned content already carrying the same token unchanged', () => {
      const raw = content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?security-token=token');
      expect(bind(raw, TOKEN)).toBe(raw);
    });

    it('refuses a presigned content carrying another token, or a bare security-token, with 409', () => {
      for (const query of ['security-token=other', 'security-token']) {
        const error = refusal(() => bind(content('GET', '', '', EXPIRES, `/photos/users/alice/a.jpg?${query}`), TOKEN));
        expect(error.status).toBe(409);
        expect(error.code).toBe('SecurityTokenMismatch');
        expect(error.bodyFields).toEqual({ SecurityToken: TOKEN });
        expect(error.headers).toEqual({ 'x-oss-security-token': TOKEN });
      }
    });

    it('leaves a presigned content unchanged when the keys are long-term', () => {
      const raw = content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?response-content-type=image/png');
      expect(bind(raw, undefined)).toBe(raw);
    });

    it('refuses a presigned content carrying a token when the keys are long-term', () => {
      const error = refusal(() => bind(content('GET', '', '', EXPIRES, '/photos/users/alice/a.jpg?security-token=token'), undefined));
      expect(error.status).toBe(409);
      expect(error.code).toBe('SecurityTokenMismatch');
    });
  });
});
