/**
 * The function suites run through either adapter: the FC event adapter (FC 3.0 HTTP trigger events,
 * as nodejs20 runs the event profile) or the web server adapter (real HTTP requests on loopback with
 * FC's `x-fc-*` headers, as a custom runtime runs the web profile). A suite builds its events as
 * before; under the web adapter each event becomes the HTTP request an HTTP trigger would have
 * forwarded, and the answer is read back into the event handler's response shape. A `*.web.test.ts`
 * file selects the web adapter and imports the suite.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FcContext, type FcHttpHandler, fcEventHandler } from '../../shared/http/fc-event';
import type { HttpFunction } from '../../shared/http/function-handler';
import type { HttpResponse } from '../../shared/http/message';
import { FC_HEADERS, createWebServer } from '../../shared/http/web-server';

export type AdapterName = 'event' | 'web';

/** Response headers that HTTP itself adds, which an event handler's response does not carry (Date stays: a function may set it). */
const TRANSPORT_HEADERS = new Set(['connection', 'keep-alive', 'content-length', 'transfer-encoding']);

let current: AdapterName = 'event';

/** Selects the adapter for the suites imported after this call. */
export function useAdapter(name: AdapterName): void {
  current = name;
}

/** The adapter the suites run through. */
export function adapterName(): AdapterName {
  return current;
}

/** `fn` served by the current adapter, called as an FC event handler. */
export function served(name: string, fn: HttpFunction): FcHttpHandler {
  return current === 'event' ? fcEventHandler(fn) : overWebServer(name, fn);
}

/** `fn` behind the web server adapter on a loopback port, called with events translated to HTTP. */
export function overWebServer(name: string, fn: HttpFunction): FcHttpHandler {
  const server = createWebServer({ [name]: fn });
  server.unref();
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return async (event, context = {}) => {
    const request = eventToHttp(event, context);
    const port = await listening;
    return new Promise<HttpResponse>((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, method: request.method, path: `/${name}${request.path}`, headers: request.headers, agent: false }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          // The names as the function wrote them (Node keeps their case on the wire), less what the transport adds.
          const headers: Record<string, string> = {};
          for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
            const header = answer.rawHeaders[index] as string;
            if (!TRANSPORT_HEADERS.has(header.toLowerCase())) headers[header] = answer.rawHeaders[index + 1] as string;
          }
          resolve({ statusCode: answer.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8'), isBase64Encoded: false });
        });
        answer.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  };
}

interface PlainRequest {
  method: string;
  path: string;
  headers: string[];
  body: Buffer;
}

/** The HTTP request an HTTP trigger turned into `event`; the context's request id and credentials as FC's headers. */
function eventToHttp(event: unknown, context: FcContext): PlainRequest {
  const raw = JSON.parse(Buffer.isBuffer(event) ? event.toString('utf8') : String(event)) as {
    rawPath?: string; headers?: Record<string, string>; queryParameters?: Record<string, string>; body?: string; isBase64Encoded?: boolean;
    requestContext: { http: { method: string } };
  };
  const query = new URLSearchParams(raw.queryParameters ?? {}).toString();
  const body = raw.body === undefined ? Buffer.alloc(0) : Buffer.from(raw.body, raw.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.isBase64Encoded && raw.body !== undefined && body.toString('base64') !== raw.body) {
    throw new Error('An event with a body that is not base64 cannot travel over HTTP: run this test with the event adapter only.');
  }
  const headers = ['Host', 'function.fcapp.run', ...Object.entries(raw.headers ?? {}).flat()];
  if (body.length > 0) headers.push('Content-Length', String(body.length));
  if (context.requestId) headers.push(FC_HEADERS.requestId, context.requestId);
  const { accessKeyId, accessKeySecret, securityToken } = context.credentials ?? {};
  if (accessKeyId) headers.push(FC_HEADERS.accessKeyId, accessKeyId);
  if (accessKeySecret) headers.push(FC_HEADERS.accessKeySecret, accessKeySecret);
  if (securityToken) headers.push(FC_HEADERS.securityToken, securityToken);
  return { method: raw.requestContext.http.method, path: `${raw.rawPath ?? '/'}${query ? `?${query}` : ''}`, headers, body };
}
