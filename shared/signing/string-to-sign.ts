/**
 * The strict parser of OSS V1 string-to-sign contents, the security boundary of sign-request:
 * `VERB\nContent-MD5\nContent-Type\nDate\n[x-oss-name:value\n…]/bucket/key[?sub-resources]`, as the
 * OSS Android and iOS SDKs build it. Anything that does not follow the grammar exactly is refused;
 * nothing is repaired.
 */
import { TvmError } from '../errors';
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
const HEADER_LINE = /^(x-oss-[a-z0-9-]{1,64}):([\x21-\x7e]([\x20-\x7e]{0,2046}[\x21-\x7e])?)$/;
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

function parseHeaders(lines: readonly string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (const line of lines) {
    const match = HEADER_LINE.exec(line);
    if (match === null) {
      throw malformed(line.startsWith('/') ? 'it holds more than one resource line' : 'a header line is not a lowercase "x-oss-name:value" line');
    }
    const name = match[1] as string;
    const previous = headers[headers.length - 1];
    if (previous !== undefined && !(previous[0] < name)) throw malformed('its x-oss header lines are not in strictly ascending order of name');
    headers.push([name, match[2] as string]);
  }
  return headers;
}

function parseResource(resource: string): Pick<StringToSign, 'bucket' | 'key' | 'subresources'> {
  if (!resource.startsWith('/')) throw malformed('its last line is not a resource starting with "/"');
  const query = resource.indexOf('?');
  const path = query === -1 ? resource : resource.slice(0, query);
  const slash = path.indexOf('/', 1);
  const bucket = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const key = slash === -1 ? '' : path.slice(slash + 1);
  if (slash === -1 && bucket !== '') throw malformed('its resource names a bucket without the "/" that follows it');
  return { bucket, key, subresources: query === -1 ? [] : parseSubresources(resource.slice(query + 1)) };
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
