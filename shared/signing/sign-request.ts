/** Reading a sign-request request: `POST` with the string-to-sign as text, or as JSON with a scope. */
import { TvmError } from '../errors';
import type { HttpRequest } from '../http/fc-event';
import { scopeFromQuery } from '../vending/query-scope';

/** What a sign-request request asks for. */
export interface SignRequest {
  /** `text`: the SDK callback protocol; `json`: the JSON protocol. */
  readonly mode: 'text' | 'json';
  readonly stringToSign: string;
  readonly scope?: string;
}

/** The largest sign-request body accepted, in bytes (a JSON-escaped 8 KiB content fits). */
export const MAX_SIGN_REQUEST_BYTES = 20 * 1024;

/**
 * Reads the content and the optional scope (`?scope=` or the JSON `scope`).
 *
 * @throws {@link TvmError} 405 for a method other than POST, 415 for a body neither text nor
 *   JSON, 400 for a body that is not UTF-8 or not the documented JSON.
 */
export function readSignRequest(request: HttpRequest): SignRequest {
  if (request.method !== 'POST') {
    throw new TvmError(405, 'MethodNotAllowed', `Use POST, not ${request.method}.`, { headers: { Allow: 'POST, OPTIONS' } });
  }
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
  if (Object.keys(fields).some((name) => name !== 'stringToSign' && name !== 'scope')) throw malformed('The body may hold only "stringToSign" and "scope".');
  const { stringToSign, scope } = fields;
  if (typeof stringToSign !== 'string') throw malformed('The body needs "stringToSign" as a string.');
  if (scope !== undefined && typeof scope !== 'string') throw malformed('The "scope" must be a string.');
  if (scope !== undefined && fromQuery !== undefined && scope !== fromQuery) throw malformed('The scope is given twice, with different values.');
  const chosen = scope || fromQuery;
  return { mode: 'json', stringToSign, ...(chosen === undefined ? {} : { scope: chosen }) };
}

function utf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new TvmError(400, 'MalformedStringToSign', 'The string to sign is malformed: it is not valid UTF-8.');
  }
}

function malformed(message: string): TvmError {
  return new TvmError(400, 'MalformedRequest', message);
}
