/**
 * Serves FC 3.0 event handlers over plain HTTP, the way an HTTP trigger does: each request becomes
 * a v1 HTTP event (a Buffer of JSON), the handler's `{statusCode, headers, body, isBase64Encoded}`
 * becomes the response.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FcContext } from '../shared/http/fc-event';
import type { HttpResponse } from '../shared/http/message';
import { isoSeconds } from '../shared/time';

/** An FC event handler as the runtime calls it. */
export type EventHandler = (event: Buffer, context: FcContext) => Promise<HttpResponse>;

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded)\b)/i;
const MAX_BODY_BYTES = 6 * 1024 * 1024;

/** Builds the v1 HTTP trigger event for a request whose path prefix was already stripped. */
export function toHttpEvent(request: IncomingMessage, path: string, body: Buffer, requestId: string): Buffer {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryParameters: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) queryParameters[name] = url.searchParams.getAll(name).join(',');
  const text = TEXT_TYPES.test(request.headers['content-type'] ?? '');
  const now = new Date();
  return Buffer.from(JSON.stringify({
    version: 'v1',
    rawPath: path,
    headers,
    queryParameters,
    body: text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !text,
    requestContext: {
      accountId: '1234567890123456',
      domainName: request.headers.host ?? 'localhost',
      domainPrefix: 'sandbox',
      http: { method: request.method ?? 'GET', path, protocol: 'HTTP/1.1', sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: request.headers['user-agent'] ?? '' },
      requestId,
      time: isoSeconds(now),
      timeEpoch: String(now.getTime()),
    },
  }));
}

/**
 * Answers one HTTP request with an FC handler.
 *
 * @param context builds the invocation context (credentials, region) for each request.
 */
export async function invokeOverHttp(handler: EventHandler, request: IncomingMessage, response: ServerResponse, path: string, context: (requestId: string) => FcContext): Promise<void> {
  const body = await readBody(request);
  if (body === undefined) {
    response.writeHead(413, { 'Content-Type': 'text/plain' }).end('Request body too large.\n');
    return;
  }
  const requestId = `1-${randomUUID()}`;
  const result = await handler(toHttpEvent(request, path, body, requestId), context(requestId));
  const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  response.writeHead(result.statusCode, { ...result.headers, 'Content-Length': payload.length, 'x-fc-request-id': requestId });
  response.end(payload);
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
