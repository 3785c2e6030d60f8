/**
 * The Function Compute 3.0 HTTP trigger adapter: the v1 event JSON in, a plain {@link HttpRequest}
 * out, and {@link HttpResponse} back to the `{statusCode, headers, body, isBase64Encoded}` shape.
 * This is the only module that knows the FC event format.
 */
import { type ErrorBody, TvmError } from '../errors';

/** An HTTP request, independent of Function Compute. Header names are lowercase. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** The response object an FC 3.0 HTTP-triggered function returns. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/** The parts of the FC 3.0 `context` the functions use. */
export interface FcContext {
  readonly requestId?: string;
  readonly credentials?: {
    readonly accessKeyId?: string;
    readonly accessKeySecret?: string;
    readonly securityToken?: string;
  };
  readonly region?: string;
}

const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Parses an HTTP trigger event (a Buffer holding the v1 JSON, as FC passes it).
 *
 * @param maxBodyBytes the largest decoded body accepted.
 * @throws {@link TvmError} 400 `MalformedRequest` for an event that is not a v1 HTTP event;
 *   413 `PayloadTooLarge` for a body over `maxBodyBytes`.
 */
export function parseHttpEvent(event: unknown, maxBodyBytes: number): HttpRequest {
  const raw = eventObject(event);
  const context = objectField(raw, 'requestContext');
  const http = context === undefined ? undefined : objectField(context, 'http');
  const method = http?.['method'];
  if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) throw malformed('The request has no valid HTTP method.');
  const path = typeof http?.['path'] === 'string' ? (http['path'] as string) : '/';
  return {
    method,
    path,
    headers: stringMap(objectField(raw, 'headers'), 'headers', true),
    query: stringMap(objectField(raw, 'queryParameters'), 'query parameters', false),
    body: decodeBody(raw, maxBodyBytes),
  };
}

/** A JSON response with `Cache-Control: no-store`. */
export function jsonResponse(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** The response for a refusal: its status, headers and the documented error body. */
export function errorResponse(error: TvmError, requestId: string): HttpResponse {
  const body: ErrorBody = { StatusCode: error.status, ErrorCode: error.code, ErrorMessage: error.message, RequestId: requestId };
  const extra = Object.entries(error.bodyFields).filter(([name]) => !(name in body));
  return jsonResponse(error.status, { ...body, ...Object.fromEntries(extra) }, error.headers);
}

function eventObject(event: unknown): Record<string, unknown> {
  let value = event;
  if (Buffer.isBuffer(event) || typeof event === 'string') {
    if (event.length > MAX_EVENT_BYTES) throw new TvmError(413, 'PayloadTooLarge', 'The request is too large.');
    try {
      value = JSON.parse(event.toString());
    } catch {
      throw malformed('The function received an event that is not JSON; it expects an HTTP trigger event.');
    }
  }
  if (!isObject(value)) throw malformed('The function received an event that is not an HTTP trigger event.');
  return value;
}

function objectField(source: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw malformed(`The event field "${name}" is not an object.`);
  return value;
}

function stringMap(source: Record<string, unknown> | undefined, what: string, lowercase: boolean): Record<string, string> {
  const result: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(source ?? {})) {
    if (typeof value !== 'string') throw malformed(`The request ${what} must be strings.`);
    const key = lowercase ? name.toLowerCase() : name;
    result[key] = key in result ? `${result[key]},${value}` : value;
  }
  return result;
}

function decodeBody(raw: Record<string, unknown>, maxBodyBytes: number): Buffer {
  const body = raw['body'];
  if (body === undefined || body === null || body === '') return Buffer.alloc(0);
  if (typeof body !== 'string') throw malformed('The request body must be a string.');
  const base64 = raw['isBase64Encoded'] === true;
  if (raw['isBase64Encoded'] !== undefined && typeof raw['isBase64Encoded'] !== 'boolean') {
    throw malformed('The event field "isBase64Encoded" must be a boolean.');
  }
  const estimated = base64 ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
  if (estimated > maxBodyBytes + 2) throw tooLarge(maxBodyBytes);
  if (base64 && !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw malformed('The request body is not valid base64.');
  const decoded = base64 ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  // Buffer.from is lenient: it drops a dangling character and ignores wrong padding and stray
  // bits. Only canonical (padded, RFC 4648) base64 is a body; it is all FC sends.
  if (base64 && decoded.toString('base64') !== body) throw malformed('The request body is not valid base64.');
  if (decoded.length > maxBodyBytes) throw tooLarge(maxBodyBytes);
  return decoded;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function malformed(message: string): TvmError {
  return new TvmError(400, 'MalformedRequest', message);
}

function tooLarge(maxBodyBytes: number): TvmError {
  return new TvmError(413, 'PayloadTooLarge', `The request body is larger than ${maxBodyBytes} bytes.`);
}
