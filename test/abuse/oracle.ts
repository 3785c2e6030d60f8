/**
 * What a request must get, decided without the product's code: from the README's contracts (the
 * error table, sign-request's rules and operations), the FC event format, and what the test itself
 * knows about the tokens it made. Where the README leaves a choice open (which of two problems is
 * reported first, whether `/photos` without its slash is malformed or a bucket resource…), every
 * defensible code is allowed; a 200 is expected only when no rule is broken.
 */
import type { ErrorCode } from '../../shared/errors';
import { isOssSubresource } from '../../shared/signing/oss-subresources';
import { BUCKET, DEFAULT_SCOPE, EXTRA_HEADERS, type FunctionName, SCOPES, type ScopeName, SKEW_SECONDS, URL_TTL_SECONDS, type Verdict, prefixOf, refuse } from './world';

export const VEND_TOKEN_MAX_BODY = 4096;
export const SIGN_REQUEST_MAX_BODY = 20 * 1024;
export const MAX_STRING_TO_SIGN = 8 * 1024;
export const MAX_EVENT_BYTES = 1024 * 1024;

/** A request as the handlers see it, once read from the event. */
export interface PlainRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

// ---------------------------------------------------------------------------------------------
// Identities and tokens
// ---------------------------------------------------------------------------------------------

/** README, "Scopes and policies": 1 to 64 of A-Z a-z 0-9 . _ @ | -, starting with a letter or digit, no "..". */
export function isSafeIdentity(value: string): boolean {
  return value.length >= 1 && value.length <= 64 && /^[A-Za-z0-9]/.test(value) && /^[A-Za-z0-9._@|-]*$/.test(value) && !value.includes('..');
}

/** What the test knows of a token it made: validly signed for `sub`, or nothing (an attacker's). */
export type TokenKnowledge = (token: string) => { readonly sub: unknown } | undefined;

type AuthOutcome = { readonly identity: string } | { readonly code: ErrorCode };

/** `Authorization: Bearer <token>` (scheme in any case, spaces around the token). */
export function authenticate(value: string | undefined, known: TokenKnowledge): AuthOutcome {
  const match = value === undefined ? null : /^bearer +([^ ]+) *$/i.exec(value);
  const claims = match?.[1] === undefined ? undefined : known(match[1]);
  if (claims === undefined || typeof claims.sub !== 'string') return { code: 'InvalidToken' };
  return isSafeIdentity(claims.sub) ? { identity: claims.sub } : { code: 'InvalidIdentity' };
}

function selectScope(requested: string | undefined, hasDefault: boolean): { readonly scope: ScopeName } | { readonly code: ErrorCode } {
  if (requested === undefined) return hasDefault ? { scope: DEFAULT_SCOPE } : { code: 'MissingScope' };
  return Object.hasOwn(SCOPES, requested) ? { scope: requested as ScopeName } : { code: 'UnknownScope' };
}

const mediaType = (request: PlainRequest): string => (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The FC event
// ---------------------------------------------------------------------------------------------

/**
 * Reads an FC 3.0 v1 HTTP event: a JSON object (as a Buffer, a string or already parsed) with
 * `requestContext.http.method`, optional string maps `headers` (names case-insensitive: duplicates
 * differing in case are joined with commas) and `queryParameters`, and an optional string `body`,
 * base64 when `isBase64Encoded` is true.
 */
export function readEvent(event: unknown, maxBodyBytes: number): { readonly request: PlainRequest } | { readonly codes: ErrorCode[] } {
  let value = event;
  if (Buffer.isBuffer(event) || typeof event === 'string') {
    // An event over 1 MiB is refused as too large before it is read (a limit of the adapter).
    if (event.length > MAX_EVENT_BYTES) return { codes: ['PayloadTooLarge'] };
    const parsed = parseJson(event.toString());
    if (parsed === undefined) return { codes: ['MalformedRequest'] };
    value = parsed.value;
  }
  if (!isPlainObject(value) || Buffer.isBuffer(value)) return { codes: ['MalformedRequest'] };
  const codes = new Set<ErrorCode>();
  const optionalObject = (source: Record<string, unknown> | undefined, name: string): Record<string, unknown> | undefined => {
    const field = source?.[name];
    if (field === undefined || field === null) return undefined;
    if (isPlainObject(field)) return field;
    codes.add('MalformedRequest');
    return undefined;
  };
  const http = optionalObject(optionalObject(value, 'requestContext'), 'http');
  const method = http?.['method'];
  if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) codes.add('MalformedRequest');
  const stringMap = (name: string, fold: boolean): Record<string, string> => {
    const map: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [key, item] of Object.entries(optionalObject(value as Record<string, unknown>, name) ?? {})) {
      if (typeof item !== 'string') {
        codes.add('MalformedRequest');
        continue;
      }
      const folded = fold ? key.toLowerCase() : key;
      map[folded] = folded in map ? `${map[folded]},${item}` : item;
    }
    return map;
  };
  const headers = stringMap('headers', true);
  const query = stringMap('queryParameters', false);
  const body = readBody(value, maxBodyBytes, codes);
  if (codes.size > 0) return { codes: [...codes] };
  return { request: { method: method as string, headers, query, body: body ?? Buffer.alloc(0) } };
}

function readBody(event: Record<string, unknown>, maxBodyBytes: number, codes: Set<ErrorCode>): Buffer | undefined {
  const body = event['body'];
  if (body === undefined || body === null || body === '') return Buffer.alloc(0);
  if (typeof body !== 'string') {
    codes.add('MalformedRequest');
    return undefined;
  }
  const flag = event['isBase64Encoded'];
  if (flag !== undefined && typeof flag !== 'boolean') codes.add('MalformedRequest');
  if (flag === true) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      codes.add('MalformedRequest');
      // Which of the two an over-long invalid body gets is not the contract.
      if (body.length > ((maxBodyBytes + 2) * 4) / 3) codes.add('PayloadTooLarge');
      return undefined;
    }
    const decoded = Buffer.from(body, 'base64');
    // RFC 4648 base64 is canonical: padded, no dangling character, no stray bits (what FC sends).
    if (decoded.toString('base64') !== body) codes.add('MalformedRequest');
    if (decoded.length > maxBodyBytes) codes.add('PayloadTooLarge');
    return decoded;
  }
  const decoded = Buffer.from(body, 'utf8');
  if (decoded.length > maxBodyBytes) codes.add('PayloadTooLarge');
  return decoded;
}

// ---------------------------------------------------------------------------------------------
// The two functions' requests
// ---------------------------------------------------------------------------------------------

/** The verdict on a whole event for `fn`. */
export function eventVerdict(fn: FunctionName, event: unknown, known: TokenKnowledge, now: number, currentToken: (identity: string, scope: ScopeName) => string | undefined, hasDefault = true): Verdict {
  const read = readEvent(event, fn === 'vend-token' ? VEND_TOKEN_MAX_BODY : SIGN_REQUEST_MAX_BODY);
  if ('codes' in read) return refuse(...read.codes);
  if (read.request.method === 'OPTIONS') return { kind: 'preflight' };
  return requestVerdict(fn, read.request, known, now, currentToken, hasDefault);
}

/** The verdict on a request already read from its event. */
export function requestVerdict(fn: FunctionName, request: PlainRequest, known: TokenKnowledge, now: number, currentToken: (identity: string, scope: ScopeName) => string | undefined, hasDefault = true): Verdict {
  return fn === 'vend-token' ? vendTokenVerdict(request, known, hasDefault) : signRequestVerdict(request, known, now, currentToken, hasDefault);
}

/**
 * README: a scope given twice is 400 MalformedRequest. FC 3.0 joins a repeated query parameter's
 * values with commas, and no scope name holds one.
 */
function givenTwiceInQuery(fromQuery: string | undefined, codes: Set<ErrorCode>): boolean {
  if (fromQuery === undefined || !fromQuery.includes(',')) return false;
  codes.add('MalformedRequest');
  return true;
}

/** README, vend-token: GET or POST, the scope from `?scope=` or a JSON body `{"scope"}` (given twice, the same). */
function vendTokenVerdict(request: PlainRequest, known: TokenKnowledge, hasDefault: boolean): Verdict {
  const codes = new Set<ErrorCode>();
  if (request.method !== 'GET' && request.method !== 'POST') codes.add('MethodNotAllowed');
  const fromQuery = request.query['scope'] || undefined;
  let fromBody: string | undefined;
  let scopeKnown = !givenTwiceInQuery(fromQuery, codes);
  if (request.method === 'POST' && request.body.length > 0) {
    const problem = (code: ErrorCode) => {
      codes.add(code);
      scopeKnown = false;
    };
    const parsed = parseJson(request.body.toString('utf8'));
    if (mediaType(request) !== 'application/json') problem('UnsupportedMediaType');
    else if (parsed === undefined || !isPlainObject(parsed.value)) problem('MalformedRequest');
    else if (Object.keys(parsed.value).some((name) => name !== 'scope')) problem('MalformedRequest');
    else if (parsed.value['scope'] !== undefined && typeof parsed.value['scope'] !== 'string') problem('MalformedRequest');
    else fromBody = (parsed.value['scope'] as string | undefined) || undefined; // An empty JSON scope names none, like an empty ?scope=.
  }
  if (scopeKnown && fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    codes.add('MalformedRequest');
    scopeKnown = false;
  }
  const auth = authenticate(request.headers['authorization'], known);
  if ('code' in auth) codes.add(auth.code);
  const selected = scopeKnown ? selectScope(fromBody ?? fromQuery, hasDefault) : undefined;
  if (selected !== undefined && 'code' in selected) codes.add(selected.code);
  if (codes.size > 0 || selected === undefined || 'code' in selected || 'code' in auth) return { kind: 'refuse', codes };
  return { kind: 'accept', identity: auth.identity, scope: selected.scope };
}

/** README, sign-request: GET (a signing session, `?scope=`), or POST, text/plain (the content) or application/json `{"stringToSign", "scope"}`. */
function signRequestVerdict(request: PlainRequest, known: TokenKnowledge, now: number, currentToken: (identity: string, scope: ScopeName) => string | undefined, hasDefault: boolean): Verdict {
  if (request.method === 'GET') return sessionVerdict(request, known, hasDefault);
  const codes = new Set<ErrorCode>();
  if (request.method !== 'POST') codes.add('MethodNotAllowed');
  const fromQuery = request.query['scope'] || undefined;
  const repeated = givenTwiceInQuery(fromQuery, codes);
  const type = mediaType(request);
  const mode = type === 'application/json' ? 'json' : 'text';
  let content: string | undefined;
  let requested: string | undefined;
  let scopeKnown = false;
  if (type !== '' && type !== 'text/plain' && type !== 'application/json') {
    codes.add('UnsupportedMediaType');
  } else if (!isUtf8(request.body)) {
    codes.add('MalformedStringToSign');
  } else if (mode === 'text') {
    content = request.body.toString('utf8');
    requested = fromQuery;
    scopeKnown = true;
  } else {
    const parsed = parseJson(request.body.toString('utf8'));
    const body = parsed !== undefined && isPlainObject(parsed.value) ? parsed.value : undefined;
    const scope = body?.['scope'];
    if (body === undefined || Object.keys(body).some((name) => name !== 'stringToSign' && name !== 'scope') || typeof body['stringToSign'] !== 'string' || (scope !== undefined && typeof scope !== 'string')) {
      codes.add('MalformedRequest');
    } else if (scope !== undefined && fromQuery !== undefined && scope !== fromQuery) {
      codes.add('MalformedRequest');
    } else {
      content = body['stringToSign'] as string;
      // An empty JSON scope names none, like an empty ?scope=.
      requested = (scope as string | undefined) || fromQuery;
      scopeKnown = true;
    }
  }
  const auth = authenticate(request.headers['authorization'], known);
  if ('code' in auth) codes.add(auth.code);
  const selected = scopeKnown && !repeated ? selectScope(requested, hasDefault) : undefined;
  if (selected !== undefined && 'code' in selected) codes.add(selected.code);
  if (codes.size > 0 || content === undefined || selected === undefined || 'code' in selected || 'code' in auth) {
    // The content's own problems are allowed too only when nothing earlier is wrong (it is read last).
    return { kind: 'refuse', codes };
  }
  const decision = contentVerdict(content, { identity: auth.identity, scope: selected.scope, currentToken: currentToken(auth.identity, selected.scope) }, now);
  if ('codes' in decision) return { kind: 'refuse', codes: new Set(decision.codes) };
  return { kind: 'accept', identity: auth.identity, scope: selected.scope, mode, ...(decision.signedString === undefined ? {} : { signedString: decision.signedString }) };
}

/** README, the signing session: `GET /` with a bearer token and an optional `?scope=`; the body is not read. */
function sessionVerdict(request: PlainRequest, known: TokenKnowledge, hasDefault: boolean): Verdict {
  const codes = new Set<ErrorCode>();
  const fromQuery = request.query['scope'] || undefined;
  const twice = givenTwiceInQuery(fromQuery, codes);
  const auth = authenticate(request.headers['authorization'], known);
  if ('code' in auth) codes.add(auth.code);
  const selected = twice ? undefined : selectScope(fromQuery, hasDefault);
  if (selected !== undefined && 'code' in selected) codes.add(selected.code);
  if ('code' in auth || selected === undefined || 'code' in selected) return { kind: 'refuse', codes };
  return { kind: 'accept', identity: auth.identity, scope: selected.scope, mode: 'session' };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The string to sign (README, "What is signed, and what is refused")
// ---------------------------------------------------------------------------------------------

export interface Caller {
  readonly identity: string;
  readonly scope: ScopeName;
  /** The token the caller's signing credentials carry now; undefined when the test does not know it (then no content may carry one). */
  readonly currentToken: string | undefined;
}

const VERBS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];
export const HARMLESS_HEADERS = ['x-oss-date', 'x-oss-security-token', 'x-oss-traffic-limit', 'x-oss-range-behavior', ...EXTRA_HEADERS];
const RESPONSE_OVERRIDES = ['response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language', 'response-content-type', 'response-expires'];
export const GRANTS: Readonly<Record<string, readonly string[]>> = {
  read: ['oss:GetObject'],
  write: ['oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'],
  delete: ['oss:DeleteObject'],
  list: [],
};
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** An RFC 1123 GMT date, exactly as `toUTCString` writes it; undefined otherwise. */
function httpDate(text: string): number | undefined {
  const time = Date.parse(text);
  return Number.isFinite(time) && new Date(time).toUTCString() === text && text.endsWith(' GMT') ? time : undefined;
}

type Subresource = readonly [name: string, value: string | undefined];

/** The OSS operation a verb and its (non-token) sub-resources name, with its RAM action, or undefined. */
export function operationOf(verb: string, subresources: readonly Subresource[]): string | undefined {
  const names = subresources.map(([name]) => name).join('&');
  const value = (name: string) => subresources.find(([candidate]) => candidate === name)?.[1];
  const bare = (...names: string[]) => names.every((name) => value(name) === undefined);
  const read = verb === 'GET' || verb === 'HEAD';
  if (verb === 'PUT' && names === '') return 'oss:PutObject';
  if (verb === 'PUT' && names === 'partNumber&uploadId' && /^[1-9][0-9]*$/.test(value('partNumber') ?? '') && Number(value('partNumber')) <= 10_000 && UPLOAD_ID.test(value('uploadId') ?? '')) return 'oss:PutObject';
  if (verb === 'POST' && (names === 'uploads' || names === 'sequential&uploads') && bare('uploads', 'sequential')) return 'oss:PutObject';
  if (verb === 'POST' && names === 'uploadId' && UPLOAD_ID.test(value('uploadId') ?? '')) return 'oss:PutObject';
  if (verb === 'POST' && names === 'append&position' && bare('append') && /^(0|[1-9][0-9]{0,17})$/.test(value('position') ?? '')) return 'oss:PutObject';
  if (verb === 'DELETE' && names === 'uploadId' && UPLOAD_ID.test(value('uploadId') ?? '')) return 'oss:AbortMultipartUpload';
  if (verb === 'GET' && names === 'uploadId' && UPLOAD_ID.test(value('uploadId') ?? '')) return 'oss:ListParts';
  if (read && names === 'objectMeta' && bare('objectMeta')) return 'oss:GetObject';
  // README: response-* values are 1 to 256 printable ASCII characters, no "?", no space at either end.
  if (read && subresources.every(([name, value]) => RESPONSE_OVERRIDES.includes(name) && value !== undefined && /^[!-~](?:[ -~]{0,254}[!-~])?$/.test(value) && !value.includes('?'))) return 'oss:GetObject';
  if (verb === 'DELETE' && names === '') return 'oss:DeleteObject';
  return undefined;
}

/**
 * The verdict on a string-to-sign for an authenticated caller: every problem it has, or the exact
 * content that must be signed (the token inserted where OSS expects it).
 */
export function contentVerdict(text: string, caller: Caller, now: number): { readonly codes: ErrorCode[] } | { readonly signedString: string | undefined } {
  const codes = new Set<ErrorCode>();
  const malformed = () => codes.add('MalformedStringToSign');
  if (Buffer.byteLength(text, 'utf8') > MAX_STRING_TO_SIGN) codes.add('PayloadTooLarge');
  if (!text.isWellFormed()) malformed();
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) malformed();
  const lines = text.split('\n');
  if (lines.length < 5) {
    malformed();
    return { codes: [...codes] };
  }
  const [verb = '', md5 = '', type = '', dateLine = ''] = lines;
  const resource = lines[lines.length - 1] ?? '';
  const headerLines = lines.slice(4, -1);

  const signableVerb = VERBS.includes(verb);
  if (!signableVerb) {
    if (/^[A-Z]{1,16}$/.test(verb)) codes.add('VerbNotAllowed');
    else malformed();
    if (/^[A-Z]{17,}$/.test(verb)) codes.add('VerbNotAllowed');
  }
  if (!/^(?:[A-Za-z0-9+/]{22}==)?$/.test(md5)) malformed();
  if (!/^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/.test(type) || type.length > 256) malformed();

  let presigned: boolean | undefined;
  const dateTime = httpDate(dateLine);
  if (dateTime !== undefined) {
    presigned = false;
    if (Math.abs(dateTime - now) > SKEW_SECONDS * 1000) codes.add('DateOutOfRange');
  } else if (/^[1-9][0-9]*$/.test(dateLine)) {
    presigned = true;
    const expires = Number(dateLine) * 1000;
    if (!(expires > now && expires <= now + URL_TTL_SECONDS * 1000)) codes.add('DateOutOfRange');
    if (dateLine.length > 12) malformed(); // a number no Expires can be: refusing it as malformed is as good
  } else {
    malformed();
  }

  const headers: [string, string][] = [];
  for (const line of headerLines) {
    // README: a value is trimmed printable ASCII of at most 2,048 characters, empty only for x-oss-meta-*.
    const match = /^(x-oss-[a-z0-9-]+):((?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?)$/.exec(line);
    if (match === null || (match[1] ?? '').length > 70 || (match[2] ?? '').length > 2048 || (match[2] === '' && !(match[1] ?? '').startsWith('x-oss-meta-'))) {
      malformed();
      continue;
    }
    const name = match[1] as string;
    const value = match[2] as string;
    const previous = headers[headers.length - 1];
    if (previous !== undefined && !(previous[0] < name)) malformed();
    headers.push([name, value]);
    if (!name.startsWith('x-oss-meta-') && !HARMLESS_HEADERS.includes(name)) codes.add('HeaderNotAllowed');
    if (name === 'x-oss-date') {
      if (presigned === true) codes.add('HeaderNotAllowed');
      const time = httpDate(value);
      if (time === undefined || Math.abs(time - now) > SKEW_SECONDS * 1000) codes.add('DateOutOfRange');
    }
    if (name === 'x-oss-security-token' && presigned === true) codes.add('HeaderNotAllowed');
  }

  const subresources: Subresource[] = [];
  if (!resource.startsWith('/')) {
    malformed();
  } else {
    // README: the sub-resources start at the "?" followed by a name OSS reads into the resource (the
    // SDKs' signing list, or x-oss-*) and then "=", "&" or the end; any other "?" is part of the key,
    // and more than one such "?" is ambiguous.
    const separators: number[] = [];
    for (let at = resource.indexOf('?'); at !== -1; at = resource.indexOf('?', at + 1)) {
      if (isOssSubresource(/^[^=&]*/.exec(resource.slice(at + 1))?.[0] ?? '')) separators.push(at);
    }
    if (separators.length > 1) return { codes: [...codes, 'SubResourceNotAllowed'] };
    const question = separators[0] ?? -1;
    const path = question === -1 ? resource : resource.slice(0, question);
    if (question !== -1) {
      for (const part of resource.slice(question + 1).split('&')) {
        const equals = part.indexOf('=');
        const name = equals === -1 ? part : part.slice(0, equals);
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) malformed();
        const previous = subresources[subresources.length - 1];
        if (previous !== undefined && !(previous[0] < name)) malformed();
        subresources.push([name, equals === -1 ? undefined : part.slice(equals + 1)]);
      }
    }
    const slash = path.indexOf('/', 1);
    const bucket = slash === -1 ? path.slice(1) : path.slice(1, slash);
    const key = slash === -1 ? '' : path.slice(slash + 1);
    const tokenResource = subresources.some(([name]) => name === 'security-token');
    const others = subresources.filter(([name]) => name !== 'security-token');
    if (slash === -1 && bucket !== '') {
      // "/photos" names the bucket without the slash that follows it: malformed, or a bucket resource.
      codes.add('MalformedStringToSign').add('ResourceNotAllowed').add('BucketNotAllowed');
    } else if (bucket === '') {
      codes.add('ResourceNotAllowed');
    } else if (bucket !== BUCKET) {
      codes.add('BucketNotAllowed');
    } else if (key === '') {
      codes.add('ResourceNotAllowed');
      if ((verb === 'GET' || verb === 'HEAD') && others.length === 0) codes.add('ListingNotSignable');
    } else {
      if (key.split('/').some((segment) => segment === '.' || segment === '..') || !key.startsWith(prefixOf(caller.scope, caller.identity))) codes.add('KeyNotAllowed');
      // The key that holds its own sub-resources reads the same (README): it may not have dot segments either.
      if (question !== -1 && resource.slice(slash + 1).split('/').some((segment) => segment === '.' || segment === '..')) codes.add('KeyNotAllowed');
      if (tokenResource && presigned === false) codes.add('SubResourceNotAllowed');
      if (signableVerb) {
        const action = operationOf(verb, others);
        if (action === undefined) codes.add('SubResourceNotAllowed');
        else if (!SCOPES[caller.scope].actions.some((granted) => GRANTS[granted]?.includes(action))) codes.add('OperationNotAllowed');
      }
    }
  }
  if (codes.size > 0) return { codes: [...codes] };

  // Every rule holds: the token decides. A carried token must be the current one (else 409, by design).
  const token = caller.currentToken;
  const carried = presigned ? subresources.find(([name]) => name === 'security-token') : headers.find(([name]) => name === 'x-oss-security-token');
  if (carried !== undefined) {
    if (token === undefined) throw new Error('a content carries a token, but the test does not know the caller\'s current one');
    return carried[1] === token ? { signedString: text } : { codes: ['SecurityTokenMismatch'] };
  }
  if (token === undefined) return { signedString: undefined };
  if (presigned) {
    // The token joins the sub-resources where they start (after the key, which may hold "?").
    const query = subresources.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&');
    const path = subresources.length === 0 ? resource : resource.slice(0, resource.length - query.length - 1);
    const parts = [...(subresources.length === 0 ? [] : query.split('&')), `security-token=${token}`];
    parts.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
    return { signedString: [...lines.slice(0, -1), `${path}?${parts.join('&')}`].join('\n') };
  }
  const withToken = [...headerLines, `x-oss-security-token:${token}`].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
  return { signedString: [...lines.slice(0, 4), ...withToken, resource].join('\n') };
}

function nameOf(entry: string): string {
  return entry.split(/[:=]/)[0] ?? '';
}
