/**
 * OSS signature V1 (`Authorization: OSS <AccessKeyId>:<Signature>` and `?OSSAccessKeyId=…&Expires=…&Signature=…`),
 * written from the OSS documentation independently of `shared/signing` so the two cannot agree on a bug.
 */
import { createHmac } from 'node:crypto';
import type { OssRequest, QueryEntry } from './request';

/**
 * Query parameters that are part of the CanonicalizedResource: the documented list, the Go v2 SDK's
 * list, the `resourceGroup` sub-resource of the published vectors, and any name starting with `x-oss-`.
 */
export const V1_SIGNED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append', 'tagging',
  'objectMeta', 'uploadId', 'partNumber', 'security-token', 'position', 'img', 'style', 'styleName', 'replication',
  'replicationProgress', 'replicationLocation', 'cname', 'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod',
  'startTime', 'endTime', 'symlink', 'response-content-type', 'response-content-language', 'response-expires',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'stat', 'restore', 'callback',
  'callback-var', 'versions', 'versioning', 'versionId', 'sequential', 'continuation-token', 'regionList', 'cloudboxes',
  'resourceGroup',
]);

export function isV1SignedSubresource(name: string): boolean {
  return V1_SIGNED_SUBRESOURCES.has(name) || name.toLowerCase().startsWith('x-oss-');
}

const byName = (a: QueryEntry, b: QueryEntry): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** `/<bucket>/<raw key>[?sorted signed sub-resources]`, `/` without a bucket; values are not encoded. */
export function v1CanonicalizedResource(bucket: string | undefined, key: string, query: readonly QueryEntry[]): string {
  const path = bucket === undefined ? '/' : `/${bucket}/${key}`;
  const subresources = query.filter(([name]) => isV1SignedSubresource(name)).sort(byName);
  if (subresources.length === 0) return path;
  return `${path}?${subresources.map(([name, value]) => (value ? `${name}=${value}` : name)).join('&')}`;
}

/** Every `x-oss-*` header as `name:trimmed value\n`, sorted by lower-case name. */
export function v1CanonicalizedOssHeaders(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim()] as const)
    .filter(([name]) => name.startsWith('x-oss-'))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
}

function header(headers: Readonly<Record<string, string>>, name: string): string {
  return headers[name] ?? '';
}

/**
 * The V1 string to sign of `request`, with `dateSlot` on the fourth line (the Date or x-oss-date header
 * value for a header signature, the Expires value for a presigned URL).
 */
export function v1StringToSign(request: OssRequest, dateSlot: string): string {
  return (
    `${request.method}\n${header(request.headers, 'content-md5')}\n${header(request.headers, 'content-type')}\n${dateSlot}\n` +
    v1CanonicalizedOssHeaders(request.headers) +
    v1CanonicalizedResource(request.bucket, request.key, request.query)
  );
}

/** base64(HMAC-SHA1(secret, UTF-8 string to sign)). */
export function v1Signature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha1', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}

/** `OSS <AccessKeyId>:<Signature>` split, or undefined when malformed. */
export function parseV1Authorization(value: string): { accessKeyId: string; signature: string } | undefined {
  const match = /^OSS ([^:\s]+):(\S+)$/.exec(value.trim());
  return match ? { accessKeyId: match[1] ?? '', signature: match[2] ?? '' } : undefined;
}
