/**
 * Decides whether a request may be signed for a caller, whatever the signature version that
 * describes it: its date, headers, resource and sub-resources must be of an allowed object
 * operation under the caller's prefix, and the caller's session policy must allow that operation's
 * RAM action. Only then is anything signed. One table serves V1 and V4; the few facts that differ
 * between them (how `x-oss-date` is written, where a presigned URL carries its token) are a
 * {@link SignatureDialect}.
 */
import { TvmError, dateOutOfRange } from '../errors';
import { evaluatePolicy } from '../policy/evaluate-policy';
import type { SessionPolicy } from '../policy/session-policy';
import { type UploadLimits, forbidsOverwrite, requireUploadAccepted } from '../policy/upload-limits';
import type { SignableRequest } from './signable-request';
import { parseV4Timestamp } from './signature-v4';
import { parseRfc1123 } from './string-to-sign';

/** What a content is checked against. */
export interface SigningRules {
  readonly bucket: string;
  /** The caller's key prefix, such as `users/alice/`. */
  readonly prefix: string;
  readonly policy: SessionPolicy;
  /** Server time in ms. */
  readonly now: number;
  readonly maxSkewSeconds: number;
  readonly maxUrlTtlSeconds: number;
  readonly extraHeaders: readonly string[];
  /** The caller's scope's upload limits: the Content-Type and `x-oss-forbid-overwrite` a signature carries are held to them. */
  readonly upload: UploadLimits | undefined;
}

/** The OSS operation a content signs, and the RAM action that authorizes it. */
export interface SignableOperation {
  readonly operation: string;
  readonly action: string;
  readonly resource: string;
}

/** x-oss headers every content may carry (besides `x-oss-meta-*`). */
export const DEFAULT_SIGNABLE_HEADERS = ['x-oss-date', 'x-oss-security-token', 'x-oss-traffic-limit', 'x-oss-range-behavior'];

const REFUSED_HEADER_REASONS: ReadonlyArray<readonly [string, string]> = [
  ['x-oss-copy-source', 'it would copy an object the caller may not read'],
  ['x-oss-object-acl', 'it would change who can read the object'],
  ['x-oss-callback', 'it would make OSS call a URL of the caller\'s choosing'],
  ['x-oss-server-side-encryption', 'it is not enabled for this service'],
  ['x-oss-storage-class', 'it is not enabled for this service'],
  ['x-oss-forbid-overwrite', 'it is not enabled for this service'],
  ['x-oss-tagging', 'object tagging is not signed'],
  ['x-oss-symlink-target', 'symbolic links are not signed'],
];

/** What differs between signature versions in the rules. */
export interface SignatureDialect {
  /** What the request time is called in messages: the `Date` line (V1) or `x-oss-date` (V4). */
  readonly requestTime: string;
  /** Reads an `x-oss-date` header value. */
  readonly parseDateHeader: (value: string) => number | undefined;
  /** How an `x-oss-date` value is written, for messages. */
  readonly dateHeaderFormat: string;
  /** x-oss headers this version signs on every request, besides {@link DEFAULT_SIGNABLE_HEADERS}. */
  readonly ownHeaders: readonly string[];
  /** The sub-resource a presigned URL carries its token in (V1's `security-token`); undefined when the token is not a sub-resource. */
  readonly tokenSubresource: string | undefined;
  /** Where a presigned URL carries its token, for messages. */
  readonly presignedTokenPlace: string;
  /** Why a listing of the bucket is not signed (V1), or is signed only with a prefix (V4). */
  readonly listingRefusal: string;
  /** Whether the signature covers a listing's `prefix` parameter, so a listing can be authorized (V4). */
  readonly signsListingPrefix: boolean;
  /**
   * Whether a signature of `key?sub-resources` also fits the key `key?sub-resources` without
   * sub-resources (V1: OSS writes the raw key, then `?` and the sub-resources, so both read the same).
   */
  readonly keyMayHoldSubresources: boolean;
}

/** Signature V1: `x-oss-date` in RFC 1123, a presigned URL's token in the `security-token` sub-resource. */
export const V1_DIALECT: SignatureDialect = {
  requestTime: 'Date',
  parseDateHeader: parseRfc1123,
  dateHeaderFormat: 'an RFC 1123 date',
  ownHeaders: [],
  tokenSubresource: 'security-token',
  presignedTokenPlace: 'the security-token sub-resource',
  listingRefusal: 'Listing is not signed: a V1 signature does not cover the listing prefix, so it would list the whole bucket. List with vend-token credentials instead.',
  signsListingPrefix: false,
  keyMayHoldSubresources: true,
};

/**
 * Signature V4: `x-oss-date` as `yyyyMMddTHHmmssZ`, `x-oss-content-sha256` on every request, and a
 * presigned URL's token in the `x-oss-security-token` query parameter, which is not a
 * sub-resource (so a `security-token` query parameter is refused like any unknown one).
 */
export const V4_DIALECT: SignatureDialect = {
  requestTime: 'x-oss-date',
  parseDateHeader: parseV4Timestamp,
  dateHeaderFormat: 'a yyyyMMddTHHmmssZ timestamp',
  ownHeaders: ['x-oss-content-sha256'],
  tokenSubresource: undefined,
  presignedTokenPlace: 'the x-oss-security-token query parameter',
  listingRefusal: 'Listing is signed only with a prefix parameter under your own prefix; otherwise it would list the whole bucket.',
  signsListingPrefix: true,
  keyMayHoldSubresources: false,
};

/**
 * Checks a parsed V1 content against the caller's rules ({@link authorizeRequest} in the V1 dialect).
 *
 * @returns the operation it signs.
 * @throws {@link TvmError} 403 with a code naming the reason: `DateOutOfRange`,
 *   `HeaderNotAllowed`, `ResourceNotAllowed`, `BucketNotAllowed`, `ListingNotSignable`,
 *   `KeyNotAllowed`, `SubResourceNotAllowed`, `OperationNotAllowed` or `UploadNotAllowed`.
 */
export function authorizeStringToSign(content: SignableRequest, rules: SigningRules): SignableOperation {
  return authorizeRequest(content, rules, V1_DIALECT);
}

/**
 * Checks a request, as a signature version's parser describes it, against the caller's rules.
 *
 * @example
 * ```ts
 * const { operation } = authorizeRequest(parseStringToSign(content), rules, V1_DIALECT);
 * ```
 * @returns the operation it signs.
 * @throws {@link TvmError} 403 with a code naming the reason (see {@link authorizeStringToSign}).
 */
export function authorizeRequest(request: SignableRequest, rules: SigningRules, dialect: SignatureDialect): SignableOperation {
  checkDate(request, rules, dialect);
  checkHeaders(request, rules, dialect);
  if (dialect.signsListingPrefix && request.verb === 'GET' && request.bucket === rules.bucket && request.key === '') return authorizeListing(request, rules, dialect);
  checkResource(request, rules, dialect);
  if (dialect.keyMayHoldSubresources && request.subresources.length > 0) checkKeyWithSubresources(request);
  const { operation, action } = operationOf(request, dialect);
  const resource = `acs:oss:*:*:${request.bucket}/${request.key}`;
  if (evaluatePolicy(rules.policy, action, resource) !== 'allow') {
    throw refused('OperationNotAllowed', `Your access does not allow ${operation} on this object.`);
  }
  checkUploadLimits(request, operation, rules.upload);
  return { operation, action, resource };
}

/** Operations that set the Content-Type an object is stored with. */
const TYPED_UPLOADS = ['PutObject', 'InitiateMultipartUpload', 'AppendObject'];
/** Operations that write an object, replacing any under the same key unless x-oss-forbid-overwrite is true. */
const OVERWRITING_UPLOADS = ['PutObject', 'CompleteMultipartUpload'];

/**
 * The scope's upload limits, as far as a signed request carries them: its Content-Type (signed in
 * V1 and V4) for the operations that set it, and `x-oss-forbid-overwrite: true` (signed as an x-oss
 * header) for those that would replace an object. Size is not signed: `maxBytes` holds only for forms.
 */
function checkUploadLimits(request: SignableRequest, operation: string, upload: UploadLimits | undefined): void {
  if (TYPED_UPLOADS.includes(operation)) requireUploadAccepted({ contentType: request.contentType }, upload);
  if (!forbidsOverwrite(upload)) return;
  if (operation === 'AppendObject') {
    throw new TvmError(403, 'UploadNotAllowed', 'Appending changes an existing object, and this scope never changes one (upload.overwrite: false).');
  }
  const forbid = request.headers.find(([name]) => name === 'x-oss-forbid-overwrite')?.[1];
  if (OVERWRITING_UPLOADS.includes(operation) && forbid !== 'true') {
    throw new TvmError(403, 'UploadNotAllowed', `This scope never replaces an existing object (upload.overwrite: false): sign ${operation} with the header x-oss-forbid-overwrite: true.`);
  }
}

function checkDate(request: SignableRequest, rules: SigningRules, dialect: SignatureDialect): void {
  const { date } = request;
  if (date.kind === 'expires') {
    if (date.time <= rules.now || date.time > rules.now + rules.maxUrlTtlSeconds * 1000) {
      throw dateOutOfRange(`A presigned URL must expire in the future and within ${rules.maxUrlTtlSeconds} seconds.`, rules.now);
    }
    if (date.signedAt !== undefined && Math.abs(date.signedAt - rules.now) > rules.maxSkewSeconds * 1000) {
      throw dateOutOfRange(`The ${dialect.requestTime} of a presigned URL is more than ${rules.maxSkewSeconds} seconds from server time; check the device clock.`, rules.now);
    }
    return;
  }
  if (Math.abs(date.time - rules.now) > rules.maxSkewSeconds * 1000) {
    throw dateOutOfRange(`The ${dialect.requestTime} is more than ${rules.maxSkewSeconds} seconds from server time; check the device clock.`, rules.now);
  }
}

function checkHeaders(request: SignableRequest, rules: SigningRules, dialect: SignatureDialect): void {
  for (const [name, value] of request.headers) {
    const refusal = REFUSED_HEADER_REASONS.find(([refusedName]) => name.startsWith(refusedName));
    const allowed =
      name.startsWith('x-oss-meta-') ||
      DEFAULT_SIGNABLE_HEADERS.includes(name) ||
      dialect.ownHeaders.includes(name) ||
      rules.extraHeaders.includes(name) ||
      (name === 'x-oss-forbid-overwrite' && forbidsOverwrite(rules.upload));
    if (!allowed) throw refused('HeaderNotAllowed', `The header ${name} is not signed: ${refusal?.[1] ?? 'it is not on the list of accepted headers'}.`);
    if (name === 'x-oss-date') {
      const time = dialect.parseDateHeader(value);
      if (request.date.kind === 'expires') throw refused('HeaderNotAllowed', 'A presigned URL may not carry x-oss-date.');
      if (time === undefined || Math.abs(time - rules.now) > rules.maxSkewSeconds * 1000) {
        throw dateOutOfRange(`The x-oss-date is not ${dialect.dateHeaderFormat} within ${rules.maxSkewSeconds} seconds of server time.`, rules.now);
      }
    }
    if (name === 'x-oss-security-token' && request.date.kind === 'expires') {
      throw refused('HeaderNotAllowed', `A presigned URL carries its security token as ${dialect.presignedTokenPlace}, not as a header.`);
    }
  }
}

/**
 * The resource rules alone: the request names an object of the bucket under the caller's prefix.
 * A GET or HEAD of the bucket itself (a listing) is refused with `listingRefusal`.
 *
 * @throws {@link TvmError} 403 `ResourceNotAllowed`, `BucketNotAllowed`, `ListingNotSignable` or `KeyNotAllowed`.
 */
export function authorizeResource(request: Pick<SignableRequest, 'verb' | 'bucket' | 'key' | 'subresources'>, rules: Pick<SigningRules, 'bucket' | 'prefix'>, listingRefusal: string): void {
  checkResource(request, rules, { listingRefusal });
}

function checkResource(request: Pick<SignableRequest, 'verb' | 'bucket' | 'key' | 'subresources'>, rules: Pick<SigningRules, 'bucket' | 'prefix'>, dialect: Pick<SignatureDialect, 'listingRefusal'>): void {
  if (request.bucket === '') throw refused('ResourceNotAllowed', 'Service-level requests (such as listing buckets) are not signed.');
  if (request.bucket !== rules.bucket) throw refused('BucketNotAllowed', 'Only requests for this service\'s bucket are signed.');
  if (request.key === '') {
    const listing = (request.verb === 'GET' || request.verb === 'HEAD') && request.subresources.length === 0;
    if (listing) throw refused('ListingNotSignable', dialect.listingRefusal);
    throw refused('ResourceNotAllowed', 'Bucket-level requests are not signed; only requests for objects are.');
  }
  if (request.key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw refused('KeyNotAllowed', 'Object keys with "." or ".." segments are not signed.');
  }
  if (!request.key.startsWith(rules.prefix)) throw refused('KeyNotAllowed', `Only objects under ${rules.prefix} are signed for you.`);
}

/**
 * The same signature fits the key that ends with this content's sub-resources (V1); that key, too,
 * must have no `.` or `..` segment (it is under the caller's prefix, as it extends the key).
 */
function checkKeyWithSubresources(request: SignableRequest): void {
  const written = request.subresources.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&');
  if (`${request.key}?${written}`.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw refused('KeyNotAllowed', 'Object keys with "." or ".." segments are not signed, nor sub-resources that would make one of the key they follow.');
  }
}

type Operation = { operation: string; action: string };

/** Parameters a listing may sign, and what their values may be. */
const LISTING_PARAMETERS: Readonly<Record<string, RegExp>> = {
  prefix: /^/,
  delimiter: /^/,
  'max-keys': /^([1-9][0-9]{0,2}|1000)$/,
  'encoding-type': /^url$/,
  marker: /^/,
  'list-type': /^2$/,
  'continuation-token': /^/,
  'start-after': /^/,
  'fetch-owner': /^(true|false)$/,
};
const ONLY_V1_LISTING = ['marker'];
const ONLY_V2_LISTING = ['list-type', 'continuation-token', 'start-after', 'fetch-owner'];

/**
 * A GET of the bucket whose signature covers its query (V4): ListObjects, or ListObjectsV2 with
 * `list-type=2`, with a `prefix` under the caller's own, allowed when the caller's policy allows
 * `oss:ListObjects` on the bucket for that `oss:Prefix`. OSS lists only keys that start with the
 * prefix, so nothing outside it is listed.
 */
function authorizeListing(request: SignableRequest, rules: SigningRules, dialect: SignatureDialect): SignableOperation {
  const value = (name: string): string | undefined => request.subresources.find(([candidate]) => candidate === name)?.[1];
  const v2 = value('list-type') === '2';
  const misfit = request.subresources.find(([name, given]) => {
    const pattern = Object.hasOwn(LISTING_PARAMETERS, name) ? LISTING_PARAMETERS[name] : undefined;
    return pattern === undefined || given === undefined || !pattern.test(given) || (v2 ? ONLY_V1_LISTING : ONLY_V2_LISTING).includes(name);
  });
  if (misfit !== undefined) throw refused('SubResourceNotAllowed', `A listing is signed only with ${Object.keys(LISTING_PARAMETERS).join(', ')} and their usual values; ${misfit[0]} is not one of them here.`);
  const prefix = value('prefix');
  if (prefix === undefined) throw refused('ListingNotSignable', dialect.listingRefusal);
  if (!prefix.startsWith(rules.prefix)) throw refused('KeyNotAllowed', `Only listings under ${rules.prefix} are signed for you.`);
  const operation = v2 ? 'ListObjectsV2' : 'ListObjects';
  const resource = `acs:oss:*:*:${request.bucket}`;
  if (evaluatePolicy(rules.policy, 'oss:ListObjects', resource, { 'oss:Prefix': prefix }) !== 'allow') {
    throw refused('OperationNotAllowed', `Your access does not allow ${operation} with this prefix.`);
  }
  return { operation, action: 'oss:ListObjects', resource };
}

const RESPONSE_OVERRIDES = [
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
];

/**
 * What a `response-*` override may be: a header value (a media type, a disposition with its file
 * name, a date, a language, an encoding, cache directives) of 1 to 256 printable ASCII characters,
 * without `?` (which could start sub-resources in a V1 resource) or spaces at either end.
 */
const RESPONSE_OVERRIDE_VALUE = /^[\x21-\x3e\x40-\x7e]([\x20-\x3e\x40-\x7e]{0,254}[\x21-\x3e\x40-\x7e])?$/;

function operationOf(content: SignableRequest, dialect: SignatureDialect): Operation {
  const token = dialect.tokenSubresource;
  if (content.date.kind === 'date' && content.subresources.some(([name]) => name === token)) {
    throw refused('SubResourceNotAllowed', `A request signed in its Authorization header carries its security token as the x-oss-security-token header, not as the ${token} sub-resource.`);
  }
  const subresources = content.subresources.filter(([name]) => name !== token);
  const names = subresources.map(([name]) => name);
  const value = (name: string): string | undefined => subresources.find(([candidate]) => candidate === name)?.[1];
  const only = (...expected: string[]): boolean => names.length === expected.length && expected.every((name) => names.includes(name));
  const read = content.verb === 'GET' || content.verb === 'HEAD';
  const uploadId = value('uploadId');
  const validUploadId = uploadId !== undefined && /^[A-Za-z0-9_-]{1,128}$/.test(uploadId);
  switch (true) {
    case content.verb === 'PUT' && only():
      return { operation: 'PutObject', action: 'oss:PutObject' };
    case content.verb === 'PUT' && only('partNumber', 'uploadId') && validUploadId && /^[1-9][0-9]{0,4}$/.test(value('partNumber') ?? ''):
      return { operation: 'UploadPart', action: 'oss:PutObject' };
    case content.verb === 'POST' && (only('uploads') || only('sequential', 'uploads')) && value('uploads') === undefined && value('sequential') === undefined:
      return { operation: 'InitiateMultipartUpload', action: 'oss:PutObject' };
    case content.verb === 'POST' && only('uploadId') && validUploadId:
      return { operation: 'CompleteMultipartUpload', action: 'oss:PutObject' };
    case content.verb === 'POST' && only('append', 'position') && value('append') === undefined && /^(0|[1-9][0-9]{0,18})$/.test(value('position') ?? ''):
      return { operation: 'AppendObject', action: 'oss:PutObject' };
    case content.verb === 'DELETE' && only('uploadId') && validUploadId:
      return { operation: 'AbortMultipartUpload', action: 'oss:AbortMultipartUpload' };
    case content.verb === 'GET' && only('uploadId') && validUploadId:
      return { operation: 'ListParts', action: 'oss:ListParts' };
    case read && only('objectMeta') && value('objectMeta') === undefined:
      return { operation: 'GetObjectMeta', action: 'oss:GetObject' };
    case read && names.every((name) => RESPONSE_OVERRIDES.includes(name)) && subresources.every(([, given]) => given !== undefined && RESPONSE_OVERRIDE_VALUE.test(given)):
      return { operation: content.verb === 'GET' ? 'GetObject' : 'HeadObject', action: 'oss:GetObject' };
    case content.verb === 'DELETE' && only():
      return { operation: 'DeleteObject', action: 'oss:DeleteObject' };
    default:
      throw refused('SubResourceNotAllowed', `A ${content.verb} request with ${names.length === 0 ? 'no sub-resource' : `the sub-resources ${names.join(', ')}`} is not an operation this service signs.`);
  }
}

function refused(code: 'HeaderNotAllowed' | 'ResourceNotAllowed' | 'BucketNotAllowed' | 'ListingNotSignable' | 'KeyNotAllowed' | 'SubResourceNotAllowed' | 'OperationNotAllowed', message: string): TvmError {
  return new TvmError(403, code, message);
}
