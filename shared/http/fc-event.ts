/**
 * The Function Compute 3.0 event adapter: an HTTP trigger's v1 event JSON in, a plain
 * {@link HttpRequest} for the frame, and the frame's {@link HttpResponse} back, which is already
 * the `{statusCode, headers, body, isBase64Encoded}` object FC expects. This is the only module that
 * knows the FC event format; the web server adapter (`web-server.ts`) serves the same functions in a
 * custom runtime.
 */
import { TvmError } from '../errors';
import type { AccessCredentials } from '../sts/sts-client';
import type { HttpFunction } from './function-handler';
import { type HttpRequest, type HttpResponse, bodyTooLarge, malformedRequest } from './message';

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

/** An FC 3.0 event handler for an HTTP trigger (`index.handler`). */
export type FcHttpHandler = (event: unknown, context?: FcContext) => Promise<HttpResponse>;

/**
 * The FC event handler of a function: request id and role credentials from `context`, the
 * request from the event.
 *
 * @example
 * ```ts
 * export const handler = fcEventHandler(createVendTokenFunction(process.env));
 * ```
 */
export function fcEventHandler(fn: HttpFunction): FcHttpHandler {
  return (event, context = {}) =>
    fn({ requestId: context.requestId, functionCredentials: contextCredentials(context), read: (maxBodyBytes) => parseHttpEvent(event, maxBodyBytes) });
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
  if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) throw malformedRequest('The request has no valid HTTP method.');
  const path = typeof http?.['path'] === 'string' ? (http['path'] as string) : '/';
  return {
    method,
    path,
    headers: stringMap(objectField(raw, 'headers'), 'headers', true),
    query: stringMap(objectField(raw, 'queryParameters'), 'query parameters', false),
    body: decodeBody(raw, maxBodyBytes),
  };
}

function contextCredentials(context: FcContext): AccessCredentials | undefined {
  const credentials = context.credentials;
  if (!credentials?.accessKeyId || !credentials.accessKeySecret) return undefined;
  return {
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
  };
}

function eventObject(event: unknown): Record<string, unknown> {
  let value = event;
  if (Buffer.isBuffer(event) || typeof event === 'string') {
    if (event.length > MAX_EVENT_BYTES) throw new TvmError(413, 'PayloadTooLarge', 'The request is too large.');
    try {
      value = JSON.parse(event.toString());
    } catch {
      throw malformedRequest('The function received an event that is not JSON; it expects an HTTP trigger event.');
    }
  }
  if (!isObject(value)) throw malformedRequest('The function received an event that is not an HTTP trigger event.');
  return value;
}

function objectField(source: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw malformedRequest(`The event field "${name}" is not an object.`);
  return value;
}

function stringMap(source: Record<string, unknown> | undefined, what: string, lowercase: boolean): Record<string, string> {
  const result: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(source ?? {})) {
    if (typeof value !== 'string') throw malformedRequest(`The request ${what} must be strings.`);
    const key = lowercase ? name.toLowerCase() : name;
    result[key] = key in result ? `${result[key]},${value}` : value;
  }
  return result;
}

function decodeBody(raw: Record<string, unknown>, maxBodyBytes: number): Buffer {
  const body = raw['body'];
  if (body === undefined || body === null || body === '') return Buffer.alloc(0);
  if (typeof body !== 'string') throw malformedRequest('The request body must be a string.');
  const base64 = raw['isBase64Encoded'] === true;
  if (raw['isBase64Encoded'] !== undefined && typeof raw['isBase64Encoded'] !== 'boolean') {
    throw malformedRequest('The event field "isBase64Encoded" must be a boolean.');
  }
  const estimated = base64 ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
  if (estimated > maxBodyBytes + 2) throw bodyTooLarge(maxBodyBytes);
  if (base64 && !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw malformedRequest('The request body is not valid base64.');
  const decoded = base64 ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  // Buffer.from is lenient: it drops a dangling character and ignores wrong padding and stray
  // bits. Only canonical (padded, RFC 4648) base64 is a body; it is all FC sends.
  if (base64 && decoded.toString('base64') !== body) throw malformedRequest('The request body is not valid base64.');
  if (decoded.length > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
  return decoded;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

