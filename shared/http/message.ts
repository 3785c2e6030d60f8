/**
 * HTTP requests and responses as the functions see them, whatever carried them: an FC 3.0 HTTP
 * trigger event (`fc-event.ts`) or a request to the web server of a custom runtime
 * (`web-server.ts`). Each adapter translates its transport to these and back.
 */
import { type ErrorBody, TvmError } from '../errors';

/** An HTTP request, independent of its transport. Header names are lowercase. */
export interface HttpRequest {
  readonly method: string;
  /** The path below the function, such as `/`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * An HTTP response. `body` is text, or base64 when `isBase64Encoded`; this is also exactly the
 * object an FC 3.0 HTTP-triggered event function returns.
 */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
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

/** The bytes of a response body. */
export function responseBytes(response: HttpResponse): Buffer {
  return Buffer.from(response.body, response.isBase64Encoded ? 'base64' : 'utf8');
}

/** The 400 `MalformedRequest` refusal an adapter throws for a request it cannot read. */
export function malformedRequest(message: string): TvmError {
  return new TvmError(400, 'MalformedRequest', message);
}

/** The 413 `PayloadTooLarge` refusal for a body over `maxBodyBytes`. */
export function bodyTooLarge(maxBodyBytes: number): TvmError {
  return new TvmError(413, 'PayloadTooLarge', `The request body is larger than ${maxBodyBytes} bytes.`);
}
