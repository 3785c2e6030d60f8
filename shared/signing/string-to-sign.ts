/**
 * The strict parser of OSS V1 string-to-sign contents, the security boundary of sign-request:
 * `VERB\nContent-MD5\nContent-Type\nDate\n[x-oss-name:value\n…]/bucket/key[?sub-resources]`, as the
 * OSS Android and iOS SDKs build it. Anything that does not follow the grammar exactly is refused;
 * nothing is repaired.
 */
import { TvmError } from '../errors';
import { isOssSubresource } from './oss-subresources';
import { SIGNABLE_VERBS, type SignableRequest, type SignableVerb } from './signable-request';

/** The largest content accepted, in bytes. */
export const MAX_STRING_TO_SIGN_BYTES = 8 * 1024;

/**
 * A parsed content: the request it describes, in the terms every signature version shares
 * (headers and sub-resources keep the order they had, strictly ascending). Its Date line is an RFC
 * 1123 date (`date`) or a presigned URL's Expires (`expires`).
 */
export type StringToSign = SignableRequest;

const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CONTENT_MD5 = /^([A-Za-z0-9+/]{22}==)?$/;
const CONTENT_TYPE = /^[\x21-\x7e]([\x20-\x7e]{0,254}[\x21-\x7e])?$|^$/;
const HEADER_NAME = /^x-oss-[a-z0-9-]{1,64}$/;
const HEADER_VALUE = /^([\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?)?$/;
/** The longest header value signed, in characters. */
export const MAX_HEADER_VALUE_LENGTH = 2048;
const SUBRESOURCE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Parses a content exactly as the SDKs build it.
 *
 * @throws {@link TvmError} 413 `PayloadTooLarge`; 400 `MalformedStringToSign` naming the rule
 *   broken; 403 `VerbNotAllowed` for a method outside {@link SIGNABLE_VERBS}.
 */
export function parseStringToSign(content: string): StringToSign {
  if (Buffer.byteLength(content, 'utf8') > MAX_STRING_TO_SIGN_BYTES) {
    throw new TvmError(413, 'PayloadTooLarge', `The string to sign is larger than ${MAX_STRING_TO_SIGN_BYTES} bytes.`);
  }
  if (content === '') throw malformed('it is empty');
  if (!content.isWellFormed()) throw malformed('it is not valid Unicode');
  if (CONTROL.test(content)) throw malformed('it holds a control character (only line feeds separate its lines)');
  const lines = content.split('\n');
  if (lines.length < 5) throw malformed('it needs at least five lines: verb, Content-MD5, Content-Type, Date and the resource');
  const [verb = '', contentMd5 = '', contentType = '', dateLine = ''] = lines;
  const resource = lines[lines.length - 1] ?? '';
  if (!(SIGNABLE_VERBS as readonly string[]).includes(verb)) {
    if (!/^[A-Z]{1,16}$/.test(verb)) throw malformed('its first line is not an HTTP method');
    throw new TvmError(403, 'VerbNotAllowed', `Requests with ${verb} are not signed; only ${SIGNABLE_VERBS.join(', ')}.`);
  }
  if (!CONTENT_MD5.test(contentMd5)) throw malformed('its Content-MD5 line is neither empty nor 24 base64 characters');
  if (!CONTENT_TYPE.test(contentType)) throw malformed('its Content-Type line is not a printable ASCII value of at most 256 characters');
  const date = parseDateLine(dateLine);
  // The resource line before the header lines, so a trailing line feed is named as such.
  const target = parseResource(resource);
  return { verb: verb as SignableVerb, contentMd5, contentType, date, headers: parseHeaders(lines.slice(4, -1)), ...target };
}

/** Parses an RFC 1123 GMT date such as `Wed, 27 Nov 2024 06:40:30 GMT`; undefined when it is not one. */
export function parseRfc1123(text: string): number | undefined {
  const match = RFC1123.exec(text);
  if (match === null) return undefined;
  const [, , day, month, year, hours, minutes, seconds] = match;
  const time = Date.UTC(Number(year), MONTHS.indexOf(month ?? ''), Number(day), Number(hours), Number(minutes), Number(seconds));
  // The round trip refuses what Date.UTC would silently repair: Feb 30, 24:00:00, :60, a wrong
  // weekday, and years 0000-0099 (which Date.UTC maps to 1900-1999).
  return new Date(time).toUTCString() === text ? time : undefined;
}

function parseDateLine(line: string): StringToSign['date'] {
  if (/^[1-9][0-9]{0,11}$/.test(line)) return { kind: 'expires', time: Number(line) * 1000 };
  const time = parseRfc1123(line);
  if (time === undefined) throw malformed('its Date line is neither an RFC 1123 GMT date nor a presigned URL\'s Expires');
  return { kind: 'date', time };
}

/**
 * `x-oss-name:value` lines: values are trimmed printable ASCII, empty only for `x-oss-meta-*` (OSS
 * keeps an empty metadata value, and the SDKs sign it as `x-oss-meta-name:`).
 */
function parseHeaders(lines: readonly string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (colon === -1 || !HEADER_NAME.test(name)) {
      throw malformed(line.startsWith('/') ? 'it holds more than one resource line' : 'a header line is not a lowercase "x-oss-name:value" line');
    }
    if (value.length > MAX_HEADER_VALUE_LENGTH) throw malformed(`the value of ${name} is longer than ${MAX_HEADER_VALUE_LENGTH} characters`);
    if (!HEADER_VALUE.test(value) || (value === '' && !name.startsWith('x-oss-meta-'))) throw malformed('a header line is not a lowercase "x-oss-name:value" line');
    const previous = headers[headers.length - 1];
    if (previous !== undefined && !(previous[0] < name)) throw malformed('its x-oss header lines are not in strictly ascending order of name');
    headers.push([name, value]);
  }
  return headers;
}

/**
 * The resource line `/bucket/key[?sub-resources]`. A key may hold `?` (OSS puts the raw key into
 * the resource), so the sub-resources start at the one `?` that OSS could read them after: one
 * followed by the name of a sub-resource of its list ({@link isOssSubresource}) and then `=`, `&`
 * or the end. A `?` followed by anything else can only be part of the key; more than one `?` that
 * could start the sub-resources is ambiguous (a value could smuggle sub-resources past the reading
 * that was authorized) and is refused.
 */
function parseResource(resource: string): Pick<StringToSign, 'bucket' | 'key' | 'subresources'> {
  if (!resource.startsWith('/')) throw malformed('its last line is not a resource starting with "/"');
  const separators = subresourceSeparators(resource);
  if (separators.length > 1) {
    throw new TvmError(403, 'SubResourceNotAllowed', 'The resource is ambiguous: OSS could read sub-resources after more than one "?" of it, so what it signs is not certain.');
  }
  const query = separators[0] ?? -1;
  const path = query === -1 ? resource : resource.slice(0, query);
  const slash = path.indexOf('/', 1);
  const bucket = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const key = slash === -1 ? '' : path.slice(slash + 1);
  if (slash === -1 && bucket !== '') throw malformed('its resource names a bucket without the "/" that follows it');
  return { bucket, key, subresources: query === -1 ? [] : parseSubresources(resource.slice(query + 1)) };
}

/** Where a `?` of the resource is followed by an OSS sub-resource name ended by `=`, `&` or the end. */
function subresourceSeparators(resource: string): number[] {
  const found: number[] = [];
  for (let at = resource.indexOf('?'); at !== -1; at = resource.indexOf('?', at + 1)) {
    const name = /^[^=&]*/.exec(resource.slice(at + 1))?.[0] ?? '';
    if (isOssSubresource(name)) found.push(at);
  }
  return found;
}

function parseSubresources(text: string): [string, string | undefined][] {
  const subresources: [string, string | undefined][] = [];
  for (const part of text.split('&')) {
    const equals = part.indexOf('=');
    const name = equals === -1 ? part : part.slice(0, equals);
    const value = equals === -1 ? undefined : part.slice(equals + 1);
    if (!SUBRESOURCE_NAME.test(name)) throw malformed('a sub-resource has an empty or invalid name');
    const previous = subresources[subresources.length - 1];
    if (previous !== undefined && !(previous[0] < name)) throw malformed('its sub-resources are not in strictly ascending order of name');
    subresources.push([name, value]);
  }
  return subresources;
}

function malformed(reason: string): TvmError {
  return new TvmError(400, 'MalformedStringToSign', `The string to sign is malformed: ${reason}.`);
}
