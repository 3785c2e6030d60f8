/**
 * The strict parser of OSS V4 canonical requests, the security boundary of canonical-request
 * signing: `VERB\nCanonicalURI\nCanonicalQuery\n[name:value\n…]\nAdditionalHeaders\nHashedPayload`,
 * as ali-oss 6.23 (`getCanonicalRequest`) and the Kotlin/Swift v2 SDKs (`SignerV4`) build it. Only
 * the canonical form is accepted: every part already encoded, sorted and trimmed as OSS computes
 * it, so the request parsed here is the one OSS will check the signature against. Nothing is
 * repaired.
 *
 * Read with OSS's V4 rules in alibabacloud-oss-kotlin-sdk-v2
 * `oss-sdk/src/commonMain/kotlin/com/aliyun/kotlin/sdk/service/oss2/signer/SignerV4.kt` (commit
 * 13cbeacbff62622c88614b4e01875d91a9addd72): a query parameter without a value is its encoded name
 * alone; the credential, date, expiry, token and additional headers of a presigned URL are query
 * parameters (`x-oss-credential`, `x-oss-date`, `x-oss-expires`, `x-oss-security-token`,
 * `x-oss-additional-headers`), signed with the others.
 */
import { TvmError } from '../errors';
import { SIGNABLE_VERBS, type SignableRequest, type SignableVerb } from './signable-request';
import { UNSIGNED_PAYLOAD, V4_ALGORITHM, V4_TERMINATOR, parseV4Timestamp } from './signature-v4';
import { MAX_STRING_TO_SIGN_BYTES } from './string-to-sign';

/** The credential of a presigned URL, `<AccessKeyId>/<date>/<region>/<product>/aliyun_v4_request`. */
export interface V4Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly product: string;
}

/** A parsed canonical request. */
export interface CanonicalRequest {
  /** The request it describes, for the authorizer. */
  readonly request: SignableRequest;
  /** The `x-oss-date` (header, or query for a presigned URL), `yyyyMMddTHHmmssZ`. */
  readonly timestamp: string;
  /** The additional signed headers (lowercase, sorted), as the Authorization value names them. */
  readonly additionalHeaders: readonly string[];
  /** The token it carries (header, or query for a presigned URL); undefined when none. */
  readonly securityToken: string | undefined;
  /** For a presigned URL: its credential and validity in seconds. */
  readonly presigned?: { readonly credential: V4Credential; readonly expiresSeconds: number };
}

/** The query parameters that authenticate a presigned URL, not sub-resources. */
export const PRESIGN_PARAMETERS = ['x-oss-additional-headers', 'x-oss-credential', 'x-oss-date', 'x-oss-expires', 'x-oss-security-token', 'x-oss-signature-version'];

/** OSS accepts a V4 presigned URL for at most 7 days. */
export const MAX_V4_EXPIRES_SECONDS = 604_800;

const ENCODED = /^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})+$/;
const ENCODED_PATH = /^(?:[A-Za-z0-9\-_.~/]|%[0-9A-F]{2})*$/;
const HEADER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const HEADER_VALUE = /^([\x21-\x7e]([\x20-\x7e]{0,2046}[\x21-\x7e])?)?$/;
const CONTENT_MD5 = /^[A-Za-z0-9+/]{22}==$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const PRINTABLE = /^[\x20-\x7e\n]*$/;

/**
 * Parses a canonical request exactly as the SDKs build it.
 *
 * @example
 * ```ts
 * const parsed = parseCanonicalRequest('PUT\n/photos/users/alice/a.jpg\n\ncontent-type:image/jpeg\n' +
 *   'x-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20241127T064030Z\n\n\nUNSIGNED-PAYLOAD');
 * // parsed.request: { verb: 'PUT', bucket: 'photos', key: 'users/alice/a.jpg', … }
 * ```
 * @throws {@link TvmError} 413 `PayloadTooLarge`; 400 `MalformedStringToSign` naming the rule
 *   broken; 403 `VerbNotAllowed` for a method outside the signed ones.
 */
export function parseCanonicalRequest(text: string): CanonicalRequest {
  if (Buffer.byteLength(text, 'utf8') > MAX_STRING_TO_SIGN_BYTES) {
    throw new TvmError(413, 'PayloadTooLarge', `The canonical request is larger than ${MAX_STRING_TO_SIGN_BYTES} bytes.`);
  }
  if (!PRINTABLE.test(text)) throw malformed('it holds a character other than printable ASCII and the line feeds between lines (the URI and query are percent-encoded)');
  const lines = text.split('\n');
  if (lines.length < 6) throw malformed('it needs at least six lines: method, URI, query, headers, additional headers and payload hash');
  const [method = '', uri = '', queryLine = ''] = lines;
  const verb = parseVerb(method);
  const { bucket, key } = parseUri(uri);
  const query = parseQuery(queryLine);
  if (lines[lines.length - 3] !== '') throw malformed('its canonical headers are not followed by an empty line');
  const additionalHeaders = parseAdditionalHeaders(lines[lines.length - 2] ?? '');
  const headers = parseHeaders(lines.slice(3, -3), additionalHeaders);
  const payloadHash = lines[lines.length - 1] ?? '';
  if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash)) throw malformed(`its last line is neither ${UNSIGNED_PAYLOAD} nor 64 lowercase hex digits`);
  const header = (name: string): string | undefined => headers.find(([candidate]) => candidate === name)?.[1];
  const contentSha256 = header('x-oss-content-sha256');
  const parameter = (name: string): string | undefined => query.find(([candidate]) => candidate === name)?.[1];
  const presigned = query.some(([name]) => name === 'x-oss-signature-version');
  const target = {
    verb,
    contentMd5: header('content-md5') ?? '',
    contentType: header('content-type') ?? '',
    headers: headers.filter(([name]) => name.startsWith('x-oss-')),
    bucket,
    key,
  };
  if (!presigned) {
    const misplaced = query.find(([name]) => PRESIGN_PARAMETERS.includes(name) || name === 'x-oss-signature');
    if (misplaced !== undefined) throw malformed(`its query holds ${misplaced[0]}, which only a presigned URL (with x-oss-signature-version) carries`);
    if (contentSha256 !== payloadHash) throw malformed('its x-oss-content-sha256 header is missing or is not the payload hash of its last line');
    const timestamp = header('x-oss-date');
    const time = timestamp === undefined ? undefined : parseV4Timestamp(timestamp);
    if (timestamp === undefined || time === undefined) throw malformed('it has no x-oss-date header with a yyyyMMddTHHmmssZ timestamp');
    return { request: { ...target, date: { kind: 'date', time }, subresources: query }, timestamp, additionalHeaders, securityToken: header('x-oss-security-token') };
  }
  if ((contentSha256 ?? UNSIGNED_PAYLOAD) !== payloadHash) throw malformed('its payload hash is not its x-oss-content-sha256 header (or UNSIGNED-PAYLOAD without one)');
  if (parameter('x-oss-signature-version') !== V4_ALGORITHM) throw malformed(`its x-oss-signature-version is not ${V4_ALGORITHM}`);
  if (query.some(([name]) => name === 'x-oss-signature')) throw malformed('its query holds x-oss-signature, which is not part of what is signed');
  if ((parameter('x-oss-additional-headers') ?? '') !== additionalHeaders.join(';')) throw malformed('its x-oss-additional-headers parameter is not its additional headers line');
  const timestamp = parameter('x-oss-date') ?? '';
  const time = parseV4Timestamp(timestamp);
  if (time === undefined) throw malformed('its x-oss-date parameter is not a yyyyMMddTHHmmssZ timestamp');
  const expires = parameter('x-oss-expires') ?? '';
  if (!/^[1-9][0-9]{0,5}$/.test(expires) || Number(expires) > MAX_V4_EXPIRES_SECONDS) throw malformed(`its x-oss-expires is not a whole number of seconds from 1 to ${MAX_V4_EXPIRES_SECONDS}`);
  const credential = parseCredential(parameter('x-oss-credential'));
  const token = query.find(([name]) => name === 'x-oss-security-token');
  if (token !== undefined && token[1] === undefined) throw malformed('its x-oss-security-token parameter has no value');
  return {
    request: { ...target, date: { kind: 'expires', time: time + Number(expires) * 1000, signedAt: time }, subresources: query.filter(([name]) => !PRESIGN_PARAMETERS.includes(name)) },
    timestamp,
    additionalHeaders,
    securityToken: token?.[1],
    presigned: { credential, expiresSeconds: Number(expires) },
  };
}

/**
 * RFC 3986 percent-encoding of the UTF-8 bytes, `A-Z a-z 0-9 - _ . ~` unreserved (as ali-oss's
 * `encodeString` and the SDKs' `urlEncode`), `/` kept when `keepSlash`.
 */
export function uriEncode(value: string, keepSlash = false): string {
  const encoded = encodeURIComponent(value).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

function parseVerb(method: string): SignableVerb {
  if ((SIGNABLE_VERBS as readonly string[]).includes(method)) return method as SignableVerb;
  if (!/^[A-Z]{1,16}$/.test(method)) throw malformed('its first line is not an HTTP method');
  throw new TvmError(403, 'VerbNotAllowed', `Requests with ${method} are not signed; only ${SIGNABLE_VERBS.join(', ')}.`);
}

/** `/<bucket>/<key>` (`/` alone: the service), in its canonical encoding. */
function parseUri(uri: string): { bucket: string; key: string } {
  if (!uri.startsWith('/') || !ENCODED_PATH.test(uri)) throw malformed('its URI is not a "/"-rooted path of unreserved characters and %XX escapes');
  const path = decode(uri, 'its URI');
  if (uriEncode(path, true) !== uri) throw malformed('its URI is not in canonical encoding (each byte but A-Z a-z 0-9 - _ . ~ / percent-encoded, uppercase hex)');
  if (CONTROL.test(path)) throw malformed('its URI holds a control character');
  if (path === '/') return { bucket: '', key: '' };
  const slash = path.indexOf('/', 1);
  if (slash === -1) throw malformed('its URI names a bucket without the "/" that follows it');
  return { bucket: path.slice(1, slash), key: path.slice(slash + 1) };
}

/** The canonical query: encoded `name[=value]` pairs joined by `&`, names unique and ascending. */
function parseQuery(line: string): [string, string | undefined][] {
  if (line === '') return [];
  const parameters: [string, string | undefined][] = [];
  let previous: string | undefined;
  for (const part of line.split('&')) {
    const equals = part.indexOf('=');
    const name = equals === -1 ? part : part.slice(0, equals);
    const value = equals === -1 ? undefined : part.slice(equals + 1);
    if (!ENCODED.test(name) || (value !== undefined && !ENCODED.test(value))) {
      throw malformed(value === '' ? 'a query parameter without a value must be its name alone, without "="' : 'a query parameter is empty or not percent-encoded');
    }
    if (previous !== undefined && !(previous < name)) throw malformed('its query parameters are not in strictly ascending order of encoded name');
    previous = name;
    const decodedName = decode(name, 'a query parameter');
    const decodedValue = value === undefined ? undefined : decode(value, 'a query parameter');
    if (uriEncode(decodedName) !== name || (decodedValue !== undefined && uriEncode(decodedValue) !== value)) {
      throw malformed('a query parameter is not in canonical encoding (each byte but A-Z a-z 0-9 - _ . ~ percent-encoded, uppercase hex)');
    }
    if (CONTROL.test(decodedName) || (decodedValue !== undefined && CONTROL.test(decodedValue))) throw malformed('a query parameter holds a control character');
    parameters.push([decodedName, decodedValue]);
  }
  return parameters;
}

function parseAdditionalHeaders(line: string): string[] {
  if (line === '') return [];
  const names = line.split(';');
  names.forEach((name, index) => {
    if (!HEADER_NAME.test(name)) throw malformed('its additional headers line is not lowercase header names separated by ";"');
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) throw malformed(`its additional headers name ${name}, which is signed anyway`);
    if (index > 0 && !((names[index - 1] as string) < name)) throw malformed('its additional headers are not in strictly ascending order');
  });
  return names;
}

/** `name:value` lines, lowercase names strictly ascending, values trimmed; exactly the default-signed headers and the additional ones. */
function parseHeaders(lines: readonly string[], additional: readonly string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (colon === -1 || !HEADER_NAME.test(name)) throw malformed('a header line is not a lowercase "name:value" line');
    if (value.length > 2048) throw malformed(`the value of ${name} is longer than 2048 characters`);
    if (!HEADER_VALUE.test(value)) throw malformed(`the value of ${name} is not printable ASCII without leading or trailing spaces`);
    if (value === '' && !name.startsWith('x-oss-meta-')) throw malformed(`the header ${name} has an empty value`);
    const previous = headers[headers.length - 1];
    if (previous !== undefined && !(previous[0] < name)) throw malformed('its header lines are not in strictly ascending order of name');
    const signedAnyway = name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-');
    if (!signedAnyway && !additional.includes(name)) throw malformed(`its header ${name} is neither signed by default nor among its additional headers`);
    if (name === 'content-md5' && !CONTENT_MD5.test(value)) throw malformed('its content-md5 is not 24 base64 characters');
    if (name === 'content-type' && value.length > 256) throw malformed('its content-type is longer than 256 characters');
    headers.push([name, value]);
  }
  const missing = additional.find((name) => !headers.some(([header]) => header === name));
  if (missing !== undefined) throw malformed(`its additional header ${missing} has no header line`);
  return headers;
}

function parseCredential(value: string | undefined): V4Credential {
  const parts = /^([^/]{1,128})\/(\d{8})\/([a-z0-9-]{1,64})\/([a-z0-9-]{1,64})\/(.*)$/.exec(value ?? '');
  if (parts === null || parts[5] !== V4_TERMINATOR) throw malformed(`its x-oss-credential is not <AccessKeyId>/<yyyymmdd>/<region>/oss/${V4_TERMINATOR}`);
  return { accessKeyId: parts[1] as string, date: parts[2] as string, region: parts[3] as string, product: parts[4] as string };
}

function decode(encoded: string, what: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw malformed(`${what} does not decode to valid UTF-8`);
  }
}

function malformed(reason: string): TvmError {
  return new TvmError(400, 'MalformedStringToSign', `The canonical request is malformed: ${reason}.`);
}
