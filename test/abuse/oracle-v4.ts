/**
 * What a V4 request to sign-request must get, decided without the product's code, from README's
 * sign-request section: the RemoteSignerV4 map (hash-only). Every problem an input has is listed;
 * the order the product checks them in is not the contract.
 */
import type { ErrorCode } from '../../shared/errors';
import { BUCKET, type ScopeName, SKEW_SECONDS, prefixOf } from './world';

const REGION = 'cn-hangzhou';
const MAP_FIELDS = ['version', 'method', 'bucket', 'key', 'stringToSign', 'region', 'product', 'date', 'accessKeyId'];
const VERBS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

/** A caller, and the credentials its scope signs with now. */
export interface V4Caller {
  readonly identity: string;
  readonly scope: ScopeName;
  readonly accessKeyId: string;
}

/** `yyyyMMddTHHmmssZ` as a time, when it is a real one. */
export function v4Time(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (match === null) return undefined;
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}.000Z`;
  const time = Date.parse(iso);
  return Number.isFinite(time) && new Date(time).toISOString() === iso && Number(match[1]) >= 1970 ? time : undefined;
}

/**
 * README, "Hash-only V4 signing": the verdict on a JSON body that has `"version":"v4"` and no
 * `canonicalRequest`, for an authenticated caller in scoped mode.
 */
export function hashOnlyVerdict(body: Record<string, unknown>, caller: V4Caller, now: number): { readonly codes: ErrorCode[] } | { readonly date: string; readonly stringToSign: string } {
  const names = Object.keys(body);
  if (names.some((name) => name !== 'scope' && !MAP_FIELDS.includes(name)) || MAP_FIELDS.some((name) => typeof body[name] !== 'string')) return { codes: ['MalformedRequest'] };
  const map = body as Record<string, string>;
  const codes = new Set<ErrorCode>();
  const method = map['method'] ?? '';
  if (!VERBS.includes(method)) codes.add(/^[A-Z]{1,16}$/.test(method) ? 'VerbNotAllowed' : 'MalformedRequest');

  const lines = (map['stringToSign'] ?? '').split('\n');
  const [algorithm, timestamp = '', scope = '', hash = ''] = lines;
  const time = v4Time(timestamp);
  const scopeParts = scope.split('/');
  const wellFormed = lines.length === 4 && algorithm === 'OSS4-HMAC-SHA256' && time !== undefined && /^[0-9a-f]{64}$/.test(hash)
    && scopeParts.length === 4 && /^\d{8}$/.test(scopeParts[0] ?? '') && /^[a-z0-9-]{1,64}$/.test(scopeParts[1] ?? '') && /^[a-z0-9-]{1,64}$/.test(scopeParts[2] ?? '') && scopeParts[3] === 'aliyun_v4_request';
  if (!wellFormed) {
    codes.add('MalformedStringToSign');
  } else {
    const [day, region, product] = scopeParts;
    if (region !== REGION || map['region'] !== REGION) codes.add('RegionNotAllowed');
    if (product !== 'oss' || map['product'] !== 'oss') codes.add('ProductNotAllowed');
    if (day !== map['date'] || day !== timestamp.slice(0, 8)) codes.add('CredentialScopeMismatch');
    if (Math.abs((time as number) - now) > SKEW_SECONDS * 1000) codes.add('DateOutOfRange');
  }

  const bucket = map['bucket'] ?? '';
  const key = map['key'] ?? '';
  if (bucket === '') codes.add('ResourceNotAllowed');
  else if (bucket !== BUCKET) codes.add('BucketNotAllowed');
  else if (key === '') codes.add(method === 'GET' || method === 'HEAD' ? 'ListingNotSignable' : 'ResourceNotAllowed');
  else if (key.split('/').includes('..') || key.split('/').includes('.') || !key.startsWith(prefixOf(caller.scope, caller.identity))) codes.add('KeyNotAllowed');

  if (codes.size > 0) return { codes: [...codes] };
  if (map['accessKeyId'] !== caller.accessKeyId) return { codes: ['SecurityTokenMismatch'] };
  return { date: scopeParts[0] as string, stringToSign: map['stringToSign'] as string };
}
