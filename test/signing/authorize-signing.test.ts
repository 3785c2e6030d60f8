import { describe, it, expect } from 'vitest';
import { type SigningRules, V4_DIALECT, authorizeRequest, authorizeStringToSign } from '../../shared/signing/authorize-signing';
import type { SignableRequest } from '../../shared/signing/signable-request';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { type SessionPolicy, buildSessionPolicy } from '../../shared/policy/session-policy';
import type { ScopeAction } from '../../shared/policy/scopes';
import { refusal } from '../helpers/refusal';

const NOW = Date.UTC(2024, 10, 27, 6, 40, 30);
const DATE = new Date(NOW).toUTCString();
const SKEW = 300;
const TTL = 3600;

const policyFor = (actions: readonly ScopeAction[]): SessionPolicy =>
  buildSessionPolicy({ bucket: 'photos', scope: { prefix: 'users/${sub}/', actions }, identity: 'alice', identityClaim: 'sub' }).document;

const rules = (overrides: Partial<SigningRules> = {}): SigningRules => ({
  bucket: 'photos',
  prefix: 'users/alice/',
  policy: policyFor(['read', 'write', 'delete']),
  now: NOW,
  maxSkewSeconds: SKEW,
  maxUrlTtlSeconds: TTL,
  extraHeaders: [],
  upload: undefined,
  ...overrides,
});

const content = (...lines: string[]) => lines.join('\n');
/** A header-signed content dated now. */
const signed = (verb: string, resource: string, ...headers: string[]) => content(verb, '', '', DATE, ...headers, resource);
/** A content with a given Date line. */
const dated = (dateLine: string, ...rest: string[]) => content('GET', '', '', dateLine, ...rest, '/photos/users/alice/a.jpg');
const rfc1123 = (time: number) => new Date(time).toUTCString();
const expires = (time: number) => String(time / 1000);

const authorize = (text: string, given: SigningRules = rules()) => authorizeStringToSign(parseStringToSign(text), given);

function expectRefused(text: string, code: string, message: RegExp | string, given: SigningRules = rules()): void {
  const error = refusal(() => authorize(text, given));
  expect(error.status).toBe(403);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

describe('authorizeStringToSign', () => {
  describe('the operations it signs and their RAM actions', () => {
    it.each([
      ['PutObject', 'PUT', '', 'oss:PutObject'],
      ['AppendObject', 'POST', '?append&position=0', 'oss:PutObject'],
      ['AppendObject', 'POST', '?append&position=1048576', 'oss:PutObject'],
      ['InitiateMultipartUpload', 'POST', '?uploads', 'oss:PutObject'],
      ['InitiateMultipartUpload', 'POST', '?sequential&uploads', 'oss:PutObject'],
      ['UploadPart', 'PUT', '?partNumber=1&uploadId=0004B9894A22E5B1888A1E29F823', 'oss:PutObject'],
      ['UploadPart', 'PUT', '?partNumber=10000&uploadId=abc_-9', 'oss:PutObject'],
      ['CompleteMultipartUpload', 'POST', '?uploadId=abc', 'oss:PutObject'],
      ['AbortMultipartUpload', 'DELETE', '?uploadId=abc', 'oss:AbortMultipartUpload'],
      ['ListParts', 'GET', '?uploadId=abc', 'oss:ListParts'],
      ['GetObject', 'GET', '', 'oss:GetObject'],
      ['GetObject', 'GET', '?response-cache-control=no-cache&response-content-disposition=attachment&response-content-encoding=gzip&response-content-language=en&response-content-type=image/png&response-expires=0', 'oss:GetObject'],
      ['HeadObject', 'HEAD', '', 'oss:GetObject'],
      ['HeadObject', 'HEAD', '?response-content-type=image/png', 'oss:GetObject'],
      ['GetObjectMeta', 'GET', '?objectMeta', 'oss:GetObject'],
      ['GetObjectMeta', 'HEAD', '?objectMeta', 'oss:GetObject'],
      ['DeleteObject', 'DELETE', '', 'oss:DeleteObject'],
    ])('recognises %s (%s %s) as %s', (operation, verb, query, action) => {
      // Prepare
      const text = signed(verb, `/photos/users/alice/dir/a.bin${query}`);
      // Act
      const decided = authorize(text);
      // Assess
      expect(decided).toEqual({ operation, action, resource: 'acs:oss:*:*:photos/users/alice/dir/a.bin' });
    });

    it('recognises a presigned GetObject and UploadPart whose security-token sub-resource is not part of the operation', () => {
      const get = content('GET', '', '', expires(NOW + 60_000), '/photos/users/alice/a.jpg?security-token=token');
      const part = content('PUT', '', '', expires(NOW + 60_000), '/photos/users/alice/a.jpg?partNumber=2&security-token=token&uploadId=abc');
      expect(authorize(get).operation).toBe('GetObject');
      expect(authorize(part).operation).toBe('UploadPart');
    });

    it('accepts the default x-oss headers and any x-oss-meta-* header', () => {
      const text = signed('PUT', '/photos/users/alice/a.jpg', `x-oss-date:${DATE}`, 'x-oss-meta-owner:alice', 'x-oss-range-behavior:standard', 'x-oss-security-token:token', 'x-oss-traffic-limit:819200');
      expect(authorize(text).operation).toBe('PutObject');
    });

    it('accepts the caller\'s prefix itself, and keys under it holding "*", dots that are not segments, "//" or non-ASCII text', () => {
      for (const key of ['users/alice/', 'users/alice/*', 'users/alice/*x', 'users/alice/a..b/.c/d.', 'users/alice//x', 'users/alice/照片.jpg']) {
        expect(authorize(signed('GET', `/photos/${key}`)).resource).toBe(`acs:oss:*:*:photos/${key}`);
      }
    });
  });

  describe('refusals, each with its code and reason', () => {
    it.each([
      ['x-oss-copy-source:/photos/users/bob/a.jpg', 'it would copy an object the caller may not read'],
      ['x-oss-copy-source-range:bytes=0-1', 'it would copy an object the caller may not read'],
      ['x-oss-object-acl:public-read', 'it would change who can read the object'],
      ['x-oss-callback:eyJ9', 'it would make OSS call a URL of the caller\'s choosing'],
      ['x-oss-callback-var:eyJ9', 'it would make OSS call a URL of the caller\'s choosing'],
      ['x-oss-server-side-encryption:KMS', 'it is not enabled for this service'],
      ['x-oss-server-side-encryption-key-id:k', 'it is not enabled for this service'],
      ['x-oss-storage-class:Archive', 'it is not enabled for this service'],
      ['x-oss-forbid-overwrite:true', 'it is not enabled for this service'],
      ['x-oss-tagging:a=b', 'object tagging is not signed'],
      ['x-oss-symlink-target:users/bob/a', 'symbolic links are not signed'],
      ['x-oss-process:image/resize,w_10', 'it is not on the list of accepted headers'],
    ])('refuses the header %s with HeaderNotAllowed', (line, reason) => {
      const name = line.slice(0, line.indexOf(':'));
      expectRefused(signed('PUT', '/photos/users/alice/a.jpg', line), 'HeaderNotAllowed', `The header ${name} is not signed: ${reason}.`);
    });

    it('refuses x-oss-date and x-oss-security-token headers in a presigned content', () => {
      const at = expires(NOW + 60_000);
      expectRefused(content('GET', '', '', at, `x-oss-date:${DATE}`, '/photos/users/alice/a.jpg'), 'HeaderNotAllowed', 'A presigned URL may not carry x-oss-date.');
      expectRefused(content('GET', '', '', at, 'x-oss-security-token:token', '/photos/users/alice/a.jpg'), 'HeaderNotAllowed', /as the security-token sub-resource/);
    });

    it('refuses a service-level resource with ResourceNotAllowed', () => {
      expectRefused(signed('GET', '/'), 'ResourceNotAllowed', /Service-level requests/);
    });

    it('refuses bucket-level resources with ResourceNotAllowed', () => {
      for (const [verb, query] of [['PUT', ''], ['DELETE', ''], ['GET', '?acl'], ['PUT', '?acl'], ['POST', '?delete'], ['GET', '?uploads'], ['GET', '?lifecycle'], ['PUT', '?cors'], ['GET', '?security-token=token']]) {
        expectRefused(signed(verb as string, `/photos/${query}`), 'ResourceNotAllowed', 'Bucket-level requests are not signed; only requests for objects are.');
      }
    });

    it('refuses listing the bucket with ListingNotSignable, because V1 does not sign the prefix', () => {
      expectRefused(signed('GET', '/photos/'), 'ListingNotSignable', /does not cover the listing prefix/);
      expectRefused(signed('HEAD', '/photos/'), 'ListingNotSignable', /List with vend-token credentials instead/);
    });

    it('refuses another bucket with BucketNotAllowed', () => {
      expectRefused(signed('GET', '/other/users/alice/a.jpg'), 'BucketNotAllowed', 'Only requests for this service\'s bucket are signed.');
      expectRefused(signed('GET', '/Photos/users/alice/a.jpg'), 'BucketNotAllowed', /this service's bucket/);
      expectRefused(signed('GET', '//users/alice/a.jpg'), 'ResourceNotAllowed', /Service-level/);
    });

    it('refuses "." and ".." segments with KeyNotAllowed, even when they stay under the prefix', () => {
      for (const key of ['users/alice/../bob/a.jpg', 'users/alice/./a.jpg', 'users/alice/a/..', 'users/alice/.', 'users/alice/x/../y']) {
        expectRefused(signed('GET', `/photos/${key}`), 'KeyNotAllowed', 'Object keys with "." or ".." segments are not signed.');
      }
    });

    it('refuses keys outside the caller\'s prefix with KeyNotAllowed, naming the prefix', () => {
      for (const key of ['users/bob/a.jpg', 'users/alice2/a.jpg', 'users/alice', 'users/', 'a.jpg', '/users/alice/a.jpg', 'Users/alice/a.jpg']) {
        expectRefused(signed('GET', `/photos/${key}`), 'KeyNotAllowed', 'Only objects under users/alice/ are signed for you.');
      }
    });

    it.each([
      ['PUT', '?acl'],
      ['GET', '?acl'],
      ['PUT', '?symlink'],
      ['GET', '?symlink'],
      ['POST', '?restore'],
      ['PUT', '?tagging'],
      ['GET', '?tagging'],
      ['DELETE', '?tagging'],
      ['POST', '?delete'],
      ['GET', '?x-oss-process=image/resize,w_10'],
      ['GET', '?versionId=v1'],
      ['DELETE', '?versionId=v1'],
      ['PUT', '?uploads'],
      ['POST', ''],
      ['PUT', '?partNumber=1'],
      ['PUT', '?uploadId=abc'],
      ['PUT', '?partNumber=0&uploadId=abc'],
      ['PUT', '?partNumber=100000&uploadId=abc'],
      ['PUT', '?partNumber=1&uploadId=a/b'],
      ['PUT', '?partNumber=1&uploadId'],
      ['POST', '?uploads=1'],
      ['POST', '?sequential=1&uploads'],
      ['POST', '?append'],
      ['POST', '?append&position=-1'],
      ['POST', '?append&position=01'],
      ['POST', '?append=1&position=0'],
      ['HEAD', '?uploadId=abc'],
      ['GET', '?uploads'],
      ['GET', '?objectMeta=1'],
      ['GET', '?objectMeta&response-content-type=a'],
      ['DELETE', '?response-content-type=a'],
      ['PUT', '?response-content-type=a'],
    ])('refuses %s with %s on an object with SubResourceNotAllowed', (verb, query) => {
      expectRefused(signed(verb, `/photos/users/alice/a.jpg${query}`), 'SubResourceNotAllowed', /is not an operation this service signs\.$/);
    });

    it('names the sub-resources it refused in the message', () => {
      expectRefused(signed('PUT', '/photos/users/alice/a.jpg?acl'), 'SubResourceNotAllowed', 'A PUT request with the sub-resources acl is not an operation this service signs.');
      expectRefused(signed('POST', '/photos/users/alice/a.jpg'), 'SubResourceNotAllowed', 'A POST request with no sub-resource is not an operation this service signs.');
    });
  });

  describe('the caller\'s policy', () => {
    it('refuses PutObject under a read-only scope with OperationNotAllowed, naming the operation', () => {
      const readOnly = rules({ policy: policyFor(['read']) });
      expect(authorize(signed('GET', '/photos/users/alice/a.jpg'), readOnly).operation).toBe('GetObject');
      expectRefused(signed('PUT', '/photos/users/alice/a.jpg'), 'OperationNotAllowed', 'Your access does not allow PutObject on this object.', readOnly);
      expectRefused(signed('PUT', '/photos/users/alice/a.jpg?partNumber=1&uploadId=abc'), 'OperationNotAllowed', /UploadPart/, readOnly);
      expectRefused(signed('DELETE', '/photos/users/alice/a.jpg?uploadId=abc'), 'OperationNotAllowed', /AbortMultipartUpload/, readOnly);
    });

    it('refuses DeleteObject and GetObject under a write-only scope, allowing the upload operations', () => {
      const writeOnly = rules({ policy: policyFor(['write']) });
      expectRefused(signed('DELETE', '/photos/users/alice/a.jpg'), 'OperationNotAllowed', /DeleteObject/, writeOnly);
      expectRefused(signed('GET', '/photos/users/alice/a.jpg'), 'OperationNotAllowed', /GetObject/, writeOnly);
      for (const [verb, query] of [['PUT', ''], ['POST', '?uploads'], ['PUT', '?partNumber=1&uploadId=abc'], ['POST', '?uploadId=abc'], ['DELETE', '?uploadId=abc'], ['GET', '?uploadId=abc']]) {
        expect(() => authorize(signed(verb as string, `/photos/users/alice/a.jpg${query}`), writeOnly)).not.toThrow();
      }
    });

    it('lets a Deny statement win over the scope\'s Allow', () => {
      // Prepare
      const base = policyFor(['read', 'write']);
      const policy: SessionPolicy = { ...base, Statement: [...base.Statement, { Effect: 'Deny', Action: ['oss:PutObject'], Resource: ['acs:oss:*:*:photos/users/alice/locked/*'] }] };
      // Act + Assess
      expectRefused(signed('PUT', '/photos/users/alice/locked/a.jpg'), 'OperationNotAllowed', /PutObject/, rules({ policy }));
      expect(authorize(signed('PUT', '/photos/users/alice/open/a.jpg'), rules({ policy })).operation).toBe('PutObject');
      expect(authorize(signed('GET', '/photos/users/alice/locked/a.jpg'), rules({ policy })).operation).toBe('GetObject');
    });

    it('refuses everything under a list-only scope, whose only Allow is conditional', () => {
      expectRefused(signed('GET', '/photos/users/alice/a.jpg'), 'OperationNotAllowed', /GetObject/, rules({ policy: policyFor(['list']) }));
    });
  });

  describe('the date window', () => {
    it('accepts a Date exactly at the skew limit, before and after server time', () => {
      expect(() => authorize(dated(rfc1123(NOW - SKEW * 1000)))).not.toThrow();
      expect(() => authorize(dated(rfc1123(NOW + SKEW * 1000)))).not.toThrow();
    });

    it('refuses a Date one second beyond the skew limit, stale or in the future, naming the limit', () => {
      const message = 'The Date is more than 300 seconds from server time; check the device clock.';
      expectRefused(dated(rfc1123(NOW - SKEW * 1000 - 1000)), 'DateOutOfRange', message);
      expectRefused(dated(rfc1123(NOW + SKEW * 1000 + 1000)), 'DateOutOfRange', message);
    });

    it('holds an x-oss-date header to the same window', () => {
      const message = 'The x-oss-date is not an RFC 1123 date within 300 seconds of server time.';
      expect(() => authorize(dated(DATE, `x-oss-date:${rfc1123(NOW - SKEW * 1000)}`))).not.toThrow();
      expect(() => authorize(dated(DATE, `x-oss-date:${rfc1123(NOW + SKEW * 1000)}`))).not.toThrow();
      expectRefused(dated(DATE, `x-oss-date:${rfc1123(NOW - SKEW * 1000 - 1000)}`), 'DateOutOfRange', message);
      expectRefused(dated(DATE, `x-oss-date:${rfc1123(NOW + SKEW * 1000 + 1000)}`), 'DateOutOfRange', message);
    });

    it('refuses an x-oss-date that is not an RFC 1123 date', () => {
      expectRefused(dated(DATE, 'x-oss-date:20241127T064030Z'), 'DateOutOfRange', /not an RFC 1123 date/);
    });

    it('refuses a Date in the window when the x-oss-date that OSS would use instead is outside it', () => {
      expectRefused(dated(DATE, `x-oss-date:${rfc1123(NOW + 3_600_000)}`), 'DateOutOfRange', /x-oss-date/);
    });

    it('accepts a presigned Expires in (now, now + TTL] and refuses now and now + TTL + 1', () => {
      const message = 'A presigned URL must expire in the future and within 3600 seconds.';
      expectRefused(dated(expires(NOW)), 'DateOutOfRange', message);
      expectRefused(dated(expires(NOW - 1000)), 'DateOutOfRange', message);
      expect(() => authorize(dated(expires(NOW + 1000)))).not.toThrow();
      expect(() => authorize(dated(expires(NOW + TTL * 1000)))).not.toThrow();
      expectRefused(dated(expires(NOW + TTL * 1000 + 1000)), 'DateOutOfRange', message);
    });

    it('follows the configured limits', () => {
      const tight = rules({ maxSkewSeconds: 30, maxUrlTtlSeconds: 60 });
      expectRefused(dated(rfc1123(NOW - 31_000)), 'DateOutOfRange', /30 seconds/, tight);
      expectRefused(dated(expires(NOW + 61_000)), 'DateOutOfRange', /60 seconds/, tight);
      expect(() => authorize(dated(expires(NOW + 60_000)), tight)).not.toThrow();
    });
  });

  describe('extra headers', () => {
    it('accepts x-oss-forbid-overwrite once it is configured, and only that header', () => {
      // Prepare
      const configured = rules({ extraHeaders: ['x-oss-forbid-overwrite'] });
      const text = signed('PUT', '/photos/users/alice/a.jpg', 'x-oss-forbid-overwrite:true', 'x-oss-meta-a:1');
      // Act + Assess
      expectRefused(text, 'HeaderNotAllowed', /x-oss-forbid-overwrite/);
      expect(authorize(text, configured).operation).toBe('PutObject');
      expectRefused(signed('PUT', '/photos/users/alice/a.jpg', 'x-oss-storage-class:Archive'), 'HeaderNotAllowed', /x-oss-storage-class/, configured);
    });
  });
});

describe('authorizeRequest in the V4 dialect', () => {
  /** A V4 request as the canonical-request parser describes it: dated by its x-oss-date, now. */
  const v4 = (overrides: Partial<SignableRequest> = {}): SignableRequest => ({
    verb: 'GET',
    contentMd5: '',
    contentType: '',
    date: { kind: 'date', time: NOW },
    headers: [['x-oss-content-sha256', 'UNSIGNED-PAYLOAD'], ['x-oss-date', '20241127T064030Z']],
    bucket: 'photos',
    key: 'users/alice/a.jpg',
    subresources: [],
    ...overrides,
  });
  const listRules = (actions: readonly ScopeAction[] = ['read', 'list']) => rules({ policy: policyFor(actions) });
  const v4Refusal = (request: SignableRequest, given: SigningRules = rules()) => refusal(() => authorizeRequest(request, given, V4_DIALECT));

  it('applies the same operation table as V1', () => {
    expect(authorizeRequest(v4({ verb: 'PUT', subresources: [['partNumber', '3'], ['uploadId', 'abc']] }), rules(), V4_DIALECT)).toMatchObject({ operation: 'UploadPart', action: 'oss:PutObject' });
    expect(v4Refusal(v4({ subresources: [['x-oss-process', 'image/resize,w_100']] })).code).toBe('SubResourceNotAllowed');
    expect(v4Refusal(v4({ verb: 'DELETE' }), rules({ policy: policyFor(['read']) })).code).toBe('OperationNotAllowed');
  });

  it('reads x-oss-date as yyyyMMddTHHmmssZ and accepts x-oss-content-sha256, which V1 refuses', () => {
    expect(v4Refusal(v4({ headers: [['x-oss-date', 'Wed, 27 Nov 2024 06:40:30 GMT']] })).code).toBe('DateOutOfRange');
    expect(refusal(() => authorizeStringToSign(v4({ headers: [['x-oss-content-sha256', 'UNSIGNED-PAYLOAD']] }), rules())).code).toBe('HeaderNotAllowed');
  });

  it('refuses the V1 security-token sub-resource like any unknown parameter, and an x-oss-security-token header on a presigned URL', () => {
    const presigned = { kind: 'expires', time: NOW + 60_000, signedAt: NOW } as const;
    expect(v4Refusal(v4({ subresources: [['security-token', 'CAIS']] })).code).toBe('SubResourceNotAllowed');
    expect(v4Refusal(v4({ date: presigned, headers: [], subresources: [['security-token', 'CAIS']] })).code).toBe('SubResourceNotAllowed');
    expect(v4Refusal(v4({ date: presigned, headers: [['x-oss-security-token', 'CAIS']] })).message).toMatch(/x-oss-security-token query parameter/);
  });

  it('refuses a presigned URL signed more than the skew away from server time, even if it expires within the TTL', () => {
    const error = v4Refusal(v4({ date: { kind: 'expires', time: NOW + 60_000, signedAt: NOW - 301_000 }, headers: [] }));
    expect([error.code, error.bodyFields['ServerTime']]).toEqual(['DateOutOfRange', '2024-11-27T06:40:30Z']);
    expect(authorizeRequest(v4({ date: { kind: 'expires', time: NOW + 60_000, signedAt: NOW - 299_000 }, headers: [] }), rules(), V4_DIALECT).operation).toBe('GetObject');
  });

  describe('listing (its prefix is signed)', () => {
    const listing = (subresources: [string, string | undefined][]) => v4({ key: '', subresources });

    it('signs ListObjects and ListObjectsV2 under the caller\'s prefix when the policy grants list for it', () => {
      expect(authorizeRequest(listing([['delimiter', '/'], ['max-keys', '100'], ['prefix', 'users/alice/']]), listRules(), V4_DIALECT)).toEqual({ operation: 'ListObjects', action: 'oss:ListObjects', resource: 'acs:oss:*:*:photos' });
      expect(authorizeRequest(listing([['continuation-token', 'x'], ['list-type', '2'], ['prefix', 'users/alice/2024/']]), listRules(), V4_DIALECT).operation).toBe('ListObjectsV2');
    });

    it.each<[string, [string, string | undefined][], string]>([
      ['no prefix', [['delimiter', '/']], 'ListingNotSignable'],
      ['a bare prefix', [['prefix', undefined]], 'SubResourceNotAllowed'],
      ['an empty prefix (the whole bucket)', [['prefix', '']], 'KeyNotAllowed'],
      ['another user\'s prefix', [['prefix', 'users/bob/']], 'KeyNotAllowed'],
      ['a prefix only starting like the caller\'s', [['prefix', 'users/alice']], 'KeyNotAllowed'],
      ['an unknown parameter', [['acl', undefined], ['prefix', 'users/alice/']], 'SubResourceNotAllowed'],
      ['max-keys over 1000', [['max-keys', '1001'], ['prefix', 'users/alice/']], 'SubResourceNotAllowed'],
      ['a V2 parameter in a V1 listing', [['prefix', 'users/alice/'], ['start-after', 'a']], 'SubResourceNotAllowed'],
      ['a V1 marker in a V2 listing', [['list-type', '2'], ['marker', 'a'], ['prefix', 'users/alice/']], 'SubResourceNotAllowed'],
    ])('refuses a listing with %s', (_case, subresources, code) => {
      expect(v4Refusal(listing(subresources), listRules()).code).toBe(code);
    });

    it('refuses a listing the policy does not grant, and never signs one in V1', () => {
      expect(v4Refusal(listing([['prefix', 'users/alice/']]), listRules(['read'])).code).toBe('OperationNotAllowed');
      expect(refusal(() => authorizeStringToSign({ ...listing([['prefix', 'users/alice/']]), headers: [] }, listRules())).code).toBe('ResourceNotAllowed');
      expect(refusal(() => authorizeStringToSign({ ...listing([]), headers: [] }, listRules())).code).toBe('ListingNotSignable');
    });
  });
});
