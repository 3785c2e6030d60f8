/**
 * OSS signature V4 (`OSS4-HMAC-SHA256`), header and presigned-URL forms, written from the OSS
 * documentation independently of `shared/signing`.
 */
import { createHash, createHmac } from 'node:crypto';
import type { OssRequest, QueryEntry } from './request';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 percent-encoding of the UTF-8 bytes; unreserved `A-Za-z0-9-_.~` kept, `/` kept unless `encodeSlash`. */
export function uriEncode(value: string, encodeSlash = true): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const character = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(character) || (character === '/' && !encodeSlash)) out += character;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `/<bucket>/<key>` URI-encoded with `/` kept; `/` without a bucket. */
export function v4CanonicalUri(bucket: string | undefined, key: string): string {
  return bucket === undefined ? '/' : uriEncode(`/${bucket}/${key}`, false);
}

/** Every query parameter but `x-oss-signature`, encoded, sorted by encoded name; empty values as the bare name. */
export function v4CanonicalQuery(query: readonly QueryEntry[]): string {
  return query
    .filter(([name]) => name !== 'x-oss-signature')
    .map(([name, value]) => [uriEncode(name), value ? uriEncode(value) : ''] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .join('&');
}

/** Lower-cased, de-duplicated, sorted additional headers, without those signed anyway. */
export function normalizeAdditionalHeaders(names: readonly string[]): string[] {
  return [...new Set(names.map((name) => name.trim().toLowerCase()))]
    .filter((name) => name !== '' && name !== 'content-type' && name !== 'content-md5' && !name.startsWith('x-oss-'))
    .sort();
}

/** `content-type`, `content-md5`, every `x-oss-*` and the additional headers present, as `name:trimmed\n`, sorted. */
export function v4CanonicalHeaders(headers: Readonly<Record<string, string>>, additionalHeaders: readonly string[]): string {
  const additional = new Set(additionalHeaders);
  return Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim()] as const)
    .filter(([name]) => name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-') || additional.has(name))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
}

export function v4CanonicalRequest(request: OssRequest, additionalHeaders: readonly string[]): string {
  return [
    request.method,
    v4CanonicalUri(request.bucket, request.key),
    v4CanonicalQuery(request.query),
    v4CanonicalHeaders(request.headers, additionalHeaders),
    additionalHeaders.join(';'),
    request.headers['x-oss-content-sha256'] ?? UNSIGNED_PAYLOAD,
  ].join('\n');
}

/** `<yyyymmdd>/<region>/oss/aliyun_v4_request`. */
export function v4Scope(date: string, region: string): string {
  return `${date}/${region}/oss/aliyun_v4_request`;
}

export function v4StringToSign(dateTime: string, scope: string, canonicalRequest: string): string {
  return `${V4_ALGORITHM}\n${dateTime}\n${scope}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
}

/** HMAC chain `aliyun_v4<secret>` → date → region → `oss` → `aliyun_v4_request`. */
export function v4SigningKey(accessKeySecret: string, date: string, region: string): Buffer {
  const step = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  return step(step(step(step(`aliyun_v4${accessKeySecret}`, date), region), 'oss'), 'aliyun_v4_request');
}

export function v4Signature(accessKeySecret: string, date: string, region: string, stringToSign: string): string {
  return createHmac('sha256', v4SigningKey(accessKeySecret, date, region)).update(stringToSign, 'utf8').digest('hex');
}

export interface V4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  product: string;
  terminator: string;
}

/** `<ak>/<date>/<region>/<product>/aliyun_v4_request`, or undefined when malformed. */
export function parseV4Credential(value: string): V4Credential | undefined {
  const parts = value.split('/');
  if (parts.length < 5) return undefined;
  const [terminator = '', product = '', region = '', date = ''] = parts.slice(-4).reverse();
  const accessKeyId = parts.slice(0, -4).join('/');
  if (!accessKeyId || !/^\d{8}$/.test(date) || !region) return undefined;
  return { accessKeyId, date, region, product, terminator };
}

/** The fields of `OSS4-HMAC-SHA256 Credential=…,[AdditionalHeaders=…,]Signature=…`, or undefined when malformed. */
export function parseV4Authorization(value: string): { credential: V4Credential; additionalHeaders: string[]; signature: string } | undefined {
  const trimmed = value.trim();
  if (!trimmed.startsWith(`${V4_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(V4_ALGORITHM.length + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) return undefined;
    fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = parseV4Credential(fields.get('Credential') ?? '');
  const signature = fields.get('Signature') ?? '';
  if (!credential || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  const additional = fields.get('AdditionalHeaders');
  return { credential, additionalHeaders: additional ? additional.split(';') : [], signature };
}
