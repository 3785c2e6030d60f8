/**
 * Decides whether a parsed string-to-sign may be signed for a caller: its date, headers, resource
 * and sub-resources must be of an allowed object operation under the caller's prefix, and the
 * caller's session policy must allow that operation's RAM action. Only then is anything signed.
 */
import { TvmError } from '../errors';
import { evaluatePolicy } from '../policy/evaluate-policy';
import type { SessionPolicy } from '../policy/session-policy';
import { type StringToSign, parseRfc1123 } from './string-to-sign';

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

/**
 * Checks a parsed content against the caller's rules.
 *
 * @returns the operation it signs.
 * @throws {@link TvmError} 403 with a code naming the reason: `DateOutOfRange`,
 *   `HeaderNotAllowed`, `ResourceNotAllowed`, `BucketNotAllowed`, `ListingNotSignable`,
 *   `KeyNotAllowed`, `SubResourceNotAllowed` or `OperationNotAllowed`.
 */
export function authorizeStringToSign(content: StringToSign, rules: SigningRules): SignableOperation {
  checkDate(content, rules);
  checkHeaders(content, rules);
  checkResource(content, rules);
  const { operation, action } = operationOf(content);
  const resource = `acs:oss:*:*:${content.bucket}/${content.key}`;
  if (evaluatePolicy(rules.policy, action, resource) !== 'allow') {
    throw refused('OperationNotAllowed', `Your access does not allow ${operation} on this object.`);
  }
  return { operation, action, resource };
}

function checkDate(content: StringToSign, rules: SigningRules): void {
  const { date } = content;
  if (date.kind === 'expires') {
    if (date.time <= rules.now || date.time > rules.now + rules.maxUrlTtlSeconds * 1000) {
      throw refused('DateOutOfRange', `A presigned URL must expire in the future and within ${rules.maxUrlTtlSeconds} seconds.`);
    }
    return;
  }
  if (Math.abs(date.time - rules.now) > rules.maxSkewSeconds * 1000) {
    throw refused('DateOutOfRange', `The Date is more than ${rules.maxSkewSeconds} seconds from server time; check the device clock.`);
  }
}

function checkHeaders(content: StringToSign, rules: SigningRules): void {
  for (const [name, value] of content.headers) {
    const refusal = REFUSED_HEADER_REASONS.find(([refusedName]) => name.startsWith(refusedName));
    const allowed = name.startsWith('x-oss-meta-') || DEFAULT_SIGNABLE_HEADERS.includes(name) || rules.extraHeaders.includes(name);
    if (!allowed) throw refused('HeaderNotAllowed', `The header ${name} is not signed: ${refusal?.[1] ?? 'it is not on the list of accepted headers'}.`);
    if (name === 'x-oss-date') {
      const time = parseRfc1123(value);
      if (content.date.kind === 'expires') throw refused('HeaderNotAllowed', 'A presigned URL may not carry x-oss-date.');
      if (time === undefined || Math.abs(time - rules.now) > rules.maxSkewSeconds * 1000) {
        throw refused('DateOutOfRange', `The x-oss-date is not an RFC 1123 date within ${rules.maxSkewSeconds} seconds of server time.`);
      }
    }
    if (name === 'x-oss-security-token' && content.date.kind === 'expires') {
      throw refused('HeaderNotAllowed', 'A presigned URL carries its security token as the security-token sub-resource, not as a header.');
    }
  }
}

function checkResource(content: StringToSign, rules: SigningRules): void {
  if (content.bucket === '') throw refused('ResourceNotAllowed', 'Service-level requests (such as listing buckets) are not signed.');
  if (content.bucket !== rules.bucket) throw refused('BucketNotAllowed', 'Only requests for this service\'s bucket are signed.');
  if (content.key === '') {
    const listing = (content.verb === 'GET' || content.verb === 'HEAD') && content.subresources.length === 0;
    if (listing) {
      throw refused('ListingNotSignable', 'Listing is not signed: a V1 signature does not cover the listing prefix, so it would list the whole bucket. List with vend-token credentials instead.');
    }
    throw refused('ResourceNotAllowed', 'Bucket-level requests are not signed; only requests for objects are.');
  }
  if (content.key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw refused('KeyNotAllowed', 'Object keys with "." or ".." segments are not signed.');
  }
  if (!content.key.startsWith(rules.prefix)) throw refused('KeyNotAllowed', `Only objects under ${rules.prefix} are signed for you.`);
}

type Operation = { operation: string; action: string };

const RESPONSE_OVERRIDES = [
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
];

function operationOf(content: StringToSign): Operation {
  if (content.date.kind === 'date' && content.subresources.some(([name]) => name === 'security-token')) {
    throw refused('SubResourceNotAllowed', 'A request signed in its Authorization header carries its security token as the x-oss-security-token header, not as the security-token sub-resource.');
  }
  const subresources = content.subresources.filter(([name]) => name !== 'security-token');
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
    case read && names.every((name) => RESPONSE_OVERRIDES.includes(name)):
      return { operation: content.verb === 'GET' ? 'GetObject' : 'HeadObject', action: 'oss:GetObject' };
    case content.verb === 'DELETE' && only():
      return { operation: 'DeleteObject', action: 'oss:DeleteObject' };
    default:
      throw refused('SubResourceNotAllowed', `A ${content.verb} request with ${names.length === 0 ? 'no sub-resource' : `the sub-resources ${names.join(', ')}`} is not an operation this service signs.`);
  }
}

function refused(code: 'DateOutOfRange' | 'HeaderNotAllowed' | 'ResourceNotAllowed' | 'BucketNotAllowed' | 'ListingNotSignable' | 'KeyNotAllowed' | 'SubResourceNotAllowed' | 'OperationNotAllowed', message: string): TvmError {
  return new TvmError(403, code, message);
}
