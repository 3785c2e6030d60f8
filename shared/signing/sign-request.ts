/**
 * Reading a sign-request request. `GET /` opens a signing session; `POST /` asks for a signature,
 * as one of the shapes of {@link SignRequest}: a V1 string-to-sign as text or JSON, a
 * new-generation SDK's RemoteSignerV4 or RemoteSignerV1 map, or a V4 canonical request.
 */
import { TvmError } from '../errors';
import type { HttpRequest } from '../http/message';
import { type PostObjectRequest, readPostObjectRequest } from './post-object';
import { scopeFromQuery } from '../vending/query-scope';

/**
 * The map the Kotlin v2 and Swift v2 SDKs' `RemoteSignerV4` hands to the app's
 * `SignatureDelegate`, which the app forwards as it is (every field a string). Read in
 * alibabacloud-oss-kotlin-sdk-v2 `oss-sdk/src/commonMain/kotlin/com/aliyun/kotlin/sdk/service/oss2/signer/RemoteSignerV4.kt`
 * (commit 13cbeacbff62622c88614b4e01875d91a9addd72) and alibabacloud-oss-swift-sdk-v2
 * `Sources/OSS/Signer/RemoteSignerV4.swift` (commit e208a6c3c55847f90944a5bb4453c2e2ce00f1b1):
 * `date` is the scope's `yyyymmdd`; `bucket` and `key` are empty for requests without them; the
 * SDK expects `{"signature": "<64 lowercase hex>"}` back.
 */
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

/**
 * The map of the same SDKs' `RemoteSignerV1` (RemoteSignerV1.kt, RemoteSignerV1.swift, same
 * commits): the V1 string to sign, which the SDK built with the credentials provider's token; the
 * Swift SDK adds `date` (the Date line). The SDK expects `{"signature": "<base64>"}` back.
 */
export interface RemoteSignerV1Info {
  readonly version: 'v1';
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly stringToSign: string;
  readonly accessKeyId: string;
  readonly date?: string;
}

/** What a `POST /` asks to have signed; `mode` tells the shapes apart. */
export type SignRequest =
  /** A V1 string-to-sign: `text`, the classic SDKs' callback protocol; `json`, `{"stringToSign"}`. */
  | { readonly mode: 'text' | 'json'; readonly stringToSign: string; readonly scope?: string }
  /** A RemoteSignerV4 map: a V4 string to sign, which holds only a hash of the request. */
  | { readonly mode: 'remoteSignerV4'; readonly info: RemoteSignerV4Info; readonly scope?: string }
  /** A RemoteSignerV1 map: a V1 string to sign, signed by the V1 rules. */
  | { readonly mode: 'remoteSignerV1'; readonly info: RemoteSignerV1Info; readonly scope?: string }
  /** `{"version":"v4","canonicalRequest"}`: the V4 canonical request itself, authorized like a V1 content. */
  | { readonly mode: 'canonicalV4'; readonly canonicalRequest: string; readonly scope?: string }
  /** A PostObject form: `{"version", "postObject": {"key" | "keyPrefix", "contentType", "contentLength"}}`. */
  | PostObjectRequest;

/** What a `GET /` (a signing session) asks for. */
export interface SessionRequest {
  readonly scope?: string;
}

/** The largest sign-request body accepted, in bytes (a JSON-escaped 8 KiB content fits). */
export const MAX_SIGN_REQUEST_BYTES = 20 * 1024;

/** The methods sign-request answers, for `Allow`. */
const ALLOW = 'POST, GET, OPTIONS';

const V4_MAP_FIELDS = ['version', 'method', 'bucket', 'key', 'stringToSign', 'region', 'product', 'date', 'accessKeyId'] as const;
const V1_MAP_FIELDS = ['version', 'method', 'bucket', 'key', 'stringToSign', 'accessKeyId'] as const;

/**
 * Reads a `GET /`: the optional `?scope=`.
 *
 * @throws {@link TvmError} 405 for a method other than GET.
 */
export function readSessionRequest(request: HttpRequest): SessionRequest {
  if (request.method !== 'GET') throw methodNotAllowed(request.method);
  const scope = scopeFromQuery(request.query);
  return scope === undefined ? {} : { scope };
}

/**
 * Reads the body of a `POST /` and the optional scope (`?scope=` or the JSON `scope`).
 *
 * @throws {@link TvmError} 405 for a method other than POST, 415 for a body neither text nor
 *   JSON, 400 for a body that is not UTF-8 or not one of the documented JSON shapes.
 */
export function readSignRequest(request: HttpRequest): SignRequest {
  if (request.method !== 'POST') throw methodNotAllowed(request.method);
  const fromQuery = scopeFromQuery(request.query);
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== '' && contentType !== 'text/plain' && contentType !== 'application/json') {
    throw new TvmError(415, 'UnsupportedMediaType', 'Send the string to sign as text/plain, or as application/json {"stringToSign": "..."}.');
  }
  const text = utf8(request.body);
  if (contentType === 'application/json') return jsonRequest(text, fromQuery);
  return { mode: 'text', stringToSign: text, ...(fromQuery === undefined ? {} : { scope: fromQuery }) };
}

function jsonRequest(text: string, fromQuery: string | undefined): SignRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformed('The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('The body must be a JSON object: {"stringToSign": "...", "scope": "..."}.');
  const fields = body as Record<string, unknown>;
  if (Object.hasOwn(fields, 'version')) return versionedRequest(fields, fromQuery);
  if (Object.keys(fields).some((name) => name !== 'stringToSign' && name !== 'scope')) throw malformed('The body may hold only "stringToSign" and "scope".');
  const { stringToSign } = fields;
  if (typeof stringToSign !== 'string') throw malformed('The body needs "stringToSign" as a string.');
  return { mode: 'json', stringToSign, ...chosenScope(fields['scope'], fromQuery) };
}

function versionedRequest(fields: Record<string, unknown>, fromQuery: string | undefined): SignRequest {
  if (Object.hasOwn(fields, 'postObject')) return { ...readPostObjectRequest(fields), ...chosenScope(fields['scope'], fromQuery) };
  const { version } = fields;
  if (version === 'v4' && Object.hasOwn(fields, 'canonicalRequest')) {
    onlyFields(fields, ['version', 'canonicalRequest'], 'A canonical-request body may hold only "version", "canonicalRequest" and "scope".');
    if (typeof fields['canonicalRequest'] !== 'string') throw malformed('The body needs "canonicalRequest" as a string.');
    return { mode: 'canonicalV4', canonicalRequest: fields['canonicalRequest'], ...chosenScope(fields['scope'], fromQuery) };
  }
  if (version === 'v4') {
    const info = mapFields(fields, V4_MAP_FIELDS, [], 'RemoteSignerV4');
    return { mode: 'remoteSignerV4', info: info as unknown as RemoteSignerV4Info, ...chosenScope(fields['scope'], fromQuery) };
  }
  if (version === 'v1') {
    const info = mapFields(fields, V1_MAP_FIELDS, ['date'], 'RemoteSignerV1');
    return { mode: 'remoteSignerV1', info: info as unknown as RemoteSignerV1Info, ...chosenScope(fields['scope'], fromQuery) };
  }
  throw malformed('The "version" must be "v4" (a RemoteSignerV4 map or {"version":"v4","canonicalRequest":"..."}) or "v1" (a RemoteSignerV1 map).');
}

/** The SDK map's fields, all strings, and nothing else but `optional` ones and `scope`. */
function mapFields(fields: Record<string, unknown>, required: readonly string[], optional: readonly string[], signer: string): Record<string, string> {
  onlyFields(fields, [...required, ...optional], `A ${signer} map may hold only ${[...required, ...optional, 'scope'].map((name) => `"${name}"`).join(', ')}.`);
  const info: Record<string, string> = {};
  for (const name of [...required, ...optional]) {
    const value = fields[name];
    if (value === undefined && optional.includes(name)) continue;
    if (typeof value !== 'string') throw malformed(`A ${signer} map needs "${name}" as a string.`);
    info[name] = value;
  }
  return info;
}

function onlyFields(fields: Record<string, unknown>, allowed: readonly string[], message: string): void {
  if (Object.keys(fields).some((name) => name !== 'scope' && !allowed.includes(name))) throw malformed(message);
}

/** The scope named in the body or the query (an empty one names none); given twice, the same. */
function chosenScope(scope: unknown, fromQuery: string | undefined): { scope?: string } {
  if (scope !== undefined && typeof scope !== 'string') throw malformed('The "scope" must be a string.');
  if (scope !== undefined && fromQuery !== undefined && scope !== fromQuery) throw malformed('The scope is given twice, with different values.');
  const chosen = scope || fromQuery;
  return chosen === undefined ? {} : { scope: chosen };
}

function utf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new TvmError(400, 'MalformedStringToSign', 'The string to sign is malformed: it is not valid UTF-8.');
  }
}

function methodNotAllowed(method: string): TvmError {
  return new TvmError(405, 'MethodNotAllowed', `Use POST to sign, or GET to open a signing session, not ${method}.`, { headers: { Allow: ALLOW } });
}

function malformed(message: string): TvmError {
  return new TvmError(400, 'MalformedRequest', message);
}
