/**
 * A small OSS Signature V4 client, written for the end-to-end tests from OSS's V4 documents and
 * independently of the product (it imports nothing from `shared/`): it builds a request's V4 canonical
 * request and string to sign, as a remote-signing client does before it asks someone else for the
 * signature, then sends the signed request over HTTP. It is checked against the Kotlin v2 SDK's
 * published `RemoteSignerV4Test` vectors and ali-oss `signUtils` before the tests trust it.
 *
 * The rules (OSS "Include a V4 signature in the Authorization header" and "in a URL"; the same as the
 * SDK's `SignerV4.kt`, alibabacloud-oss-kotlin-sdk-v2 commit 13cbeacb, read, not copied):
 * - canonical request `VERB\nURI\nQUERY\nHEADERS\nADDITIONAL\nPAYLOAD`; URI `/<bucket>/<key>` encoded
 *   with `/` kept; every query parameter encoded and sorted, one without a value written as its name
 *   alone; headers `content-type`, `content-md5`, every `x-oss-*` and the additional ones, lower-cased,
 *   values trimmed, sorted; payload `UNSIGNED-PAYLOAD`;
 * - string to sign `OSS4-HMAC-SHA256\n<yyyyMMddTHHmmssZ>\n<yyyymmdd>/<region>/oss/aliyun_v4_request\n<hex sha256>`;
 * - header auth adds `x-oss-date`, `x-oss-content-sha256` and the STS token before signing; query auth
 *   adds `x-oss-signature-version`, `x-oss-date`, `x-oss-expires`, `x-oss-credential` and
 *   `x-oss-security-token` to the query before signing, and `x-oss-signature` after.
 */
import { createHash } from 'node:crypto';

/** A request as an app builds it, before it is signed. */
export interface V4Request {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  /** Query parameters, decoded; `null` for a parameter without a value (`?uploads`). */
  readonly query?: Readonly<Record<string, string | null>>;
  /** Header names as sent. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/** Who signs and where: the AccessKeyId and token of the signing credentials, and the region. */
export interface V4Identity {
  readonly accessKeyId: string;
  readonly securityToken?: string;
  readonly region: string;
}

/** A request ready to be signed, with what the signature covers. */
export interface PreparedV4 {
  /** The request with the headers or query parameters that signing adds (and no signature yet). */
  readonly request: V4Request;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  /** `yyyyMMddTHHmmssZ`. */
  readonly dateTime: string;
  /** `<yyyymmdd>/<region>/oss/aliyun_v4_request`. */
  readonly scope: string;
  readonly additionalHeaders: readonly string[];
}

/** The map a Kotlin v2 / Swift v2 SDK's `RemoteSignerV4` hands its `SignatureDelegate`. */
export interface RemoteSignerV4Info {
  readonly version: 'v4';
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly stringToSign: string;
  readonly region: string;
  readonly product: string;
  readonly date: string;
  readonly accessKeyId: string;
}

const ALGORITHM = 'OSS4-HMAC-SHA256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Percent-encodes the UTF-8 bytes of `text`, keeping only `A-Z a-z 0-9 - _ . ~` (and `/` when asked). */
export function uriEncode(text: string, keepSlash = false): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const character = String.fromCharCode(byte);
      if (/^[A-Za-z0-9\-_.~]$/.test(character) || (keepSlash && character === '/')) return character;
      return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** `yyyyMMddTHHmmssZ` of `date`. */
export function isoBasic(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function canonicalQuery(query: Readonly<Record<string, string | null>>): string {
  return Object.entries(query)
    .map(([name, value]) => [uriEncode(name), value ? uriEncode(value) : ''] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .join('&');
}

function lowerCased(headers: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value.trim()]));
}

function canonicalHeaders(headers: Readonly<Record<string, string>>, additional: readonly string[]): string {
  return [...lowerCased(headers)]
    .filter(([name]) => name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-') || additional.includes(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
}

function prepare(request: V4Request, identity: V4Identity, dateTime: string, additionalHeaders: readonly string[]): PreparedV4 {
  const scope = `${dateTime.slice(0, 8)}/${identity.region}/oss/aliyun_v4_request`;
  const headers = request.headers ?? {};
  const canonicalRequest = [
    request.method.toUpperCase(),
    uriEncode(`/${request.bucket}/${request.key}`, true),
    canonicalQuery(request.query ?? {}),
    canonicalHeaders(headers, additionalHeaders),
    additionalHeaders.join(';'),
    lowerCased(headers).get('x-oss-content-sha256') ?? UNSIGNED_PAYLOAD,
  ].join('\n');
  const stringToSign = `${ALGORITHM}\n${dateTime}\n${scope}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
  return { request, canonicalRequest, stringToSign, dateTime, scope, additionalHeaders };
}

/**
 * Prepares header authentication: adds `x-oss-date`, `x-oss-content-sha256: UNSIGNED-PAYLOAD` and the
 * security token, and builds what is signed. `additionalHeaders` are lower-case names of other headers
 * to sign (e.g. `host`).
 */
export function prepareHeaderAuth(request: V4Request, identity: V4Identity, now: Date, additionalHeaders: readonly string[] = []): PreparedV4 {
  const dateTime = isoBasic(now);
  const headers = {
    ...request.headers,
    'x-oss-date': dateTime,
    'x-oss-content-sha256': UNSIGNED_PAYLOAD,
    ...(identity.securityToken ? { 'x-oss-security-token': identity.securityToken } : {}),
  };
  return prepare({ ...request, headers }, identity, dateTime, [...additionalHeaders].sort());
}

/** The request with `Authorization: OSS4-HMAC-SHA256 Credential=…,[AdditionalHeaders=…,]Signature=…`. */
export function withAuthorization(prepared: PreparedV4, accessKeyId: string, signature: string): V4Request {
  const additional = prepared.additionalHeaders.length > 0 ? `,AdditionalHeaders=${prepared.additionalHeaders.join(';')}` : '';
  const authorization = `${ALGORITHM} Credential=${accessKeyId}/${prepared.scope}${additional},Signature=${signature}`;
  return { ...prepared.request, headers: { ...prepared.request.headers, Authorization: authorization } };
}

/** Prepares a presigned URL valid `expiresSeconds` from `now`: the x-oss-* query parameters, then what is signed. */
export function preparePresigned(request: V4Request, identity: V4Identity, now: Date, expiresSeconds: number): PreparedV4 {
  const dateTime = isoBasic(now);
  const scope = `${dateTime.slice(0, 8)}/${identity.region}/oss/aliyun_v4_request`;
  const query = {
    ...request.query,
    'x-oss-signature-version': ALGORITHM,
    'x-oss-date': dateTime,
    'x-oss-expires': String(expiresSeconds),
    'x-oss-credential': `${identity.accessKeyId}/${scope}`,
    ...(identity.securityToken ? { 'x-oss-security-token': identity.securityToken } : {}),
  };
  return prepare({ ...request, query }, identity, dateTime, []);
}

/** The presigned request with its `x-oss-signature`. */
export function withQuerySignature(prepared: PreparedV4, signature: string): V4Request {
  return { ...prepared.request, query: { ...prepared.request.query, 'x-oss-signature': signature } };
}

/** What a `RemoteSignerV4` gives its `SignatureDelegate` for a prepared request. */
export function remoteSignerV4Info(prepared: PreparedV4, identity: V4Identity): RemoteSignerV4Info {
  return {
    version: 'v4',
    method: prepared.request.method.toUpperCase(),
    bucket: prepared.request.bucket,
    key: prepared.request.key,
    stringToSign: prepared.stringToSign,
    region: identity.region,
    product: 'oss',
    date: prepared.scope.slice(0, 8),
    accessKeyId: identity.accessKeyId,
  };
}

/** The path-style URL of `request` at `endpoint` (`<endpoint>/<bucket>/<key>?<query>`), encoded as signed. */
export function requestUrl(endpoint: string, request: V4Request): string {
  const query = Object.entries(request.query ?? {})
    .map(([name, value]) => (value === null ? uriEncode(name) : `${uriEncode(name)}=${uriEncode(value)}`))
    .join('&');
  return `${endpoint}${uriEncode(`/${request.bucket}/${request.key}`, true)}${query ? `?${query}` : ''}`;
}

/**
 * Sends `request` to `endpoint` (path style) with `fetch`; OSS's answer as is. A text body goes as bytes:
 * fetch would otherwise add a `Content-Type` that was not signed.
 */
export function send(endpoint: string, request: V4Request): Promise<Response> {
  return fetch(requestUrl(endpoint, request), {
    method: request.method,
    headers: request.headers ?? {},
    ...(request.body === undefined ? {} : { body: Buffer.from(request.body) }),
  });
}
