/**
 * What a V4 request to sign-request must get, decided without the product's code, from README's
 * sign-request section: the RemoteSignerV4 map (hash-only). Every problem an input has is listed;
 * the order the product checks them in is not the contract.
 */
import type { ErrorCode } from '../../shared/errors';
import { BUCKET, type ScopeName, SKEW_SECONDS, URL_TTL_SECONDS, prefixOf } from './world';

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

/** A canonical request as the test built it with ali-oss, before any change to its text. */
export interface BuiltCanonical {
  readonly verb: string;
  readonly bucket: string;
  readonly key: string;
  /** Query parameters besides a presigned URL's own. */
  readonly query: Readonly<Record<string, string | null>>;
  /** Signed headers besides x-oss-date, x-oss-content-sha256 and x-oss-security-token. */
  readonly headers: Readonly<Record<string, string>>;
  /** Header x-oss-date (or, presigned, its query x-oss-date) minus server time, in ms. */
  readonly offsetMs: number;
  /** The token it carries: the caller's current one, another, or none. */
  readonly token: 'current' | 'other' | 'none';
  readonly presigned?: { readonly expiresSeconds: number; readonly region: string; readonly staleAccessKeyId: boolean };
  /** A change to the text that leaves it no canonical request (undefined: none). */
  readonly broken?: string;
}

const LISTING = ['prefix', 'delimiter', 'max-keys', 'list-type'];

/**
 * README, "Canonical-request V4 signing": every problem a built request has, or (none) that it is
 * signed. Decided from what the test built, never by parsing the text.
 */
export function canonicalVerdict(built: BuiltCanonical, caller: { readonly identity: string; readonly scope: ScopeName }, now: number, rules: { readonly harmlessHeaders: readonly string[]; readonly grants: Readonly<Record<string, readonly string[]>>; readonly actions: readonly string[]; readonly operationOf: (verb: string, subresources: readonly (readonly [string, string | undefined])[]) => string | undefined }): { readonly codes: ErrorCode[] } | 'sign' {
  const verbCodes: ErrorCode[] = VERBS.includes(built.verb) ? [] : ['VerbNotAllowed'];
  // README: the decoded key and query hold no control character (C0, C1, U+2028, U+2029).
  const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
  const uncontrolled = !control.test(built.key) && Object.entries(built.query).every(([name, value]) => !control.test(name) && !control.test(value ?? ''));
  if (built.broken !== undefined || !uncontrolled) return { codes: ['MalformedStringToSign', ...verbCodes] };
  const codes = new Set<ErrorCode>(verbCodes);
  const presigned = built.presigned;
  if (presigned !== undefined && presigned.region !== REGION) codes.add('RegionNotAllowed');

  // Dates: the request time within the skew; a presigned URL signed within the skew, expiring in (now, now + TTL].
  if (Math.abs(built.offsetMs) > SKEW_SECONDS * 1000) codes.add('DateOutOfRange');
  if (presigned !== undefined) {
    const expires = now + built.offsetMs + presigned.expiresSeconds * 1000;
    if (expires <= now || expires > now + URL_TTL_SECONDS * 1000) codes.add('DateOutOfRange');
  }

  for (const name of Object.keys(built.headers)) {
    if (name === 'content-type' || name === 'content-md5' || name === 'host') continue;
    if (!name.startsWith('x-oss-meta-') && !rules.harmlessHeaders.includes(name)) codes.add('HeaderNotAllowed');
  }

  const prefix = prefixOf(caller.scope, caller.identity);
  // In name order, as the canonical request lists them (and OSS reads them): POST ?uploads&sequential is ?sequential&uploads.
  const subresources = Object.entries(built.query).map(([name, value]) => [name, value ?? undefined] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (built.bucket === '') codes.add('ResourceNotAllowed');
  else if (built.bucket !== BUCKET) codes.add('BucketNotAllowed');
  else if (built.key === '') {
    if (built.verb !== 'GET') codes.add(built.verb === 'HEAD' && subresources.length === 0 ? 'ListingNotSignable' : 'ResourceNotAllowed');
    else if (subresources.some(([name, value]) => !LISTING.includes(name) || value === undefined || (name === 'list-type' && value !== '2') || (name === 'max-keys' && !/^([1-9][0-9]{0,2}|1000)$/.test(value)))) codes.add('SubResourceNotAllowed');
    else if (built.query['prefix'] === undefined) codes.add('ListingNotSignable');
    else if (!String(built.query['prefix']).startsWith(prefix)) codes.add('KeyNotAllowed');
    else if (!rules.actions.includes('list')) codes.add('OperationNotAllowed');
  } else {
    if (built.key.split('/').some((segment) => segment === '.' || segment === '..') || !built.key.startsWith(prefix)) codes.add('KeyNotAllowed');
    const action = VERBS.includes(built.verb) ? rules.operationOf(built.verb, subresources) : undefined;
    if (VERBS.includes(built.verb) && action === undefined) codes.add('SubResourceNotAllowed');
    if (action !== undefined && !rules.actions.some((granted) => rules.grants[granted]?.includes(action))) codes.add('OperationNotAllowed');
  }
  if (codes.size > 0) return { codes: [...codes] };
  if (built.token !== 'current' || presigned?.staleAccessKeyId === true) return { codes: ['SecurityTokenMismatch'] };
  return 'sign';
}
