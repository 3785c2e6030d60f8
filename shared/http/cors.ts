/**
 * CORS for web apps calling the functions from a browser: preflight answers and the headers that
 * let an allowed origin read a response. Callers authenticate with a bearer token, never cookies,
 * so no credentials mode is offered.
 */
import type { HttpRequest, HttpResponse } from './message';

/** What a function allows browsers to do. */
export interface CorsPolicy {
  /** Allowed origins, such as `https://app.example.com`; `*` allows any. Empty: no CORS at all. */
  readonly allowedOrigins: readonly string[];
  /** Methods the function serves, such as `GET, POST`. */
  readonly methods: readonly string[];
  /** Response headers a browser app may read besides the simple ones. */
  readonly exposeHeaders?: readonly string[];
  /** Request headers a browser app may send besides `Authorization` and `Content-Type`. */
  readonly allowHeaders?: readonly string[];
}

const ALLOWED_REQUEST_HEADERS = 'Authorization, Content-Type';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** The answer to a preflight `OPTIONS` request: 204, with permission only for an allowed origin. */
export function preflightResponse(request: HttpRequest, policy: CorsPolicy): HttpResponse {
  const origin = allowedOrigin(request, policy);
  const headers: Record<string, string> = { Allow: [...policy.methods, 'OPTIONS'].join(', '), 'Cache-Control': 'no-store', Vary: 'Origin' };
  if (origin !== undefined) {
    Object.assign(headers, {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': policy.methods.join(', '),
      'Access-Control-Allow-Headers': [ALLOWED_REQUEST_HEADERS, ...(policy.allowHeaders ?? [])].join(', '),
      'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
    });
  }
  return { statusCode: 204, headers, body: '', isBase64Encoded: false };
}

/** `response` with the headers that let an allowed origin read it; unchanged for other origins. */
export function withCorsHeaders(response: HttpResponse, request: HttpRequest | undefined, policy: CorsPolicy): HttpResponse {
  const origin = request === undefined ? undefined : allowedOrigin(request, policy);
  if (origin === undefined) return response;
  const exposed = policy.exposeHeaders ?? [];
  response.headers = {
    ...response.headers,
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    ...(exposed.length > 0 ? { 'Access-Control-Expose-Headers': exposed.join(', ') } : {}),
  };
  return response;
}

function allowedOrigin(request: HttpRequest, policy: CorsPolicy): string | undefined {
  const origin = request.headers['origin'];
  if (origin === undefined || policy.allowedOrigins.length === 0) return undefined;
  if (policy.allowedOrigins.includes('*')) return '*';
  return policy.allowedOrigins.includes(origin) ? origin : undefined;
}
