/** Reading a vend-token request: `GET` or `POST`, with an optional `scope`. */
import { TvmError } from '../errors';
import type { HttpRequest } from '../http/message';
import { scopeFromQuery } from './query-scope';

/** What a vend-token request asks for. */
export interface TokenRequest {
  /** The requested scope name, when one was given. */
  readonly scope?: string;
}

/** The largest vend-token body accepted, in bytes. */
export const MAX_TOKEN_REQUEST_BYTES = 4096;

/**
 * Reads the scope from the query (`?scope=`) or a JSON body (`{"scope": "..."}`).
 *
 * @throws {@link TvmError} 405 for another method, 415 for a non-JSON body, 400 for a malformed
 *   body, a scope given twice in the query, or different scopes in query and body.
 */
export function readTokenRequest(request: HttpRequest): TokenRequest {
  if (request.method !== 'GET' && request.method !== 'POST') {
    throw new TvmError(405, 'MethodNotAllowed', `Use GET or POST, not ${request.method}.`, { headers: { Allow: 'GET, POST, OPTIONS' } });
  }
  const fromQuery = scopeFromQuery(request.query);
  const fromBody = (request.method === 'POST' ? scopeFromBody(request) : undefined) || undefined;
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    throw new TvmError(400, 'MalformedRequest', 'The scope is given twice, with different values.');
  }
  const scope = fromBody ?? fromQuery;
  return scope === undefined ? {} : { scope };
}

function scopeFromBody(request: HttpRequest): string | undefined {
  if (request.body.length === 0) return undefined;
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new TvmError(415, 'UnsupportedMediaType', 'Send the body as application/json, such as {"scope": "user"}.');
  }
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new TvmError(400, 'MalformedRequest', 'The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TvmError(400, 'MalformedRequest', 'The body must be a JSON object, such as {"scope": "user"}.');
  }
  const extra = Object.keys(body).filter((name) => name !== 'scope');
  if (extra.length > 0) throw new TvmError(400, 'MalformedRequest', 'The body may hold only "scope".');
  const scope = (body as { scope?: unknown }).scope;
  if (scope !== undefined && typeof scope !== 'string') throw new TvmError(400, 'MalformedRequest', 'The "scope" must be a string.');
  return scope;
}
