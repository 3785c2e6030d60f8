/**
 * The web function adapter: a `node:http` server for Function Compute custom runtimes, which run
 * our command and send it plain HTTP requests (web functions). It serves several functions, each
 * below its own path (`/vend-token/…`, `/sign-request/…`), translating each request to an
 * {@link HttpRequest} for the frame and the frame's {@link HttpResponse} back. It knows nothing of
 * FC events; `fc-event.ts` serves the same functions as event handlers.
 *
 * Function Compute hands a custom runtime the request id and the function role's temporary
 * credentials as request headers: `x-fc-request-id`, `x-fc-access-key-id`,
 * `x-fc-access-key-secret`, `x-fc-security-token` (FC 3.0 help, *Custom runtimes: Context and log
 * format*, "Common request headers": "use the temporary credentials in the x-fc-access-key-id,
 * x-fc-access-key-secret, and x-fc-security-token headers"). They are taken out of the headers a
 * function sees.
 */
import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer } from 'node:http';
import { TvmError } from '../errors';
import type { AccessCredentials } from '../sts/sts-client';
import type { HttpFunction } from './function-handler';
import { type HttpResponse, bodyTooLarge, errorResponse, malformedRequest, responseBytes } from './message';

/** The request headers through which Function Compute hands a custom runtime its context. */
export const FC_HEADERS = {
  requestId: 'x-fc-request-id',
  accessKeyId: 'x-fc-access-key-id',
  accessKeySecret: 'x-fc-access-key-secret',
  securityToken: 'x-fc-security-token',
} as const;

const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([FC_HEADERS.accessKeyId, FC_HEADERS.accessKeySecret, FC_HEADERS.securityToken]);

/**
 * How long an idle keep-alive connection stays open. Function Compute keeps its connections to a
 * custom runtime alive; a server that closes them sooner (Node's default is 5 s) races the
 * platform's next request on the same connection.
 */
const KEEP_ALIVE_MS = 15 * 60_000;

const EMPTY = Buffer.alloc(0);

/** Functions by the first segment of their path: `{ 'vend-token': fn }` serves `/vend-token`. */
export type WebRoutes = Readonly<Record<string, HttpFunction>>;

/**
 * The request listener serving `routes`: the sandbox mounts it as it is, the web function's server
 * (`createWebServer`) listens with it.
 *
 * @example
 * ```ts
 * createServer(webRequestListener({ 'vend-token': createVendTokenFunction(process.env) })).listen(9000);
 * ```
 */
export function webRequestListener(routes: WebRoutes): RequestListener {
  const names = Object.keys(routes);
  return (incoming, outgoing) => {
    const { path, search } = requestTarget(incoming.url ?? '/');
    const [, route = '', ...rest] = path.split('/');
    const fn = Object.hasOwn(routes, route) ? routes[route] : undefined;
    const { headers, platform } = splitHeaders(incoming.rawHeaders);
    const requestId = platform.get(FC_HEADERS.requestId);
    const call = fn
      ? fn({
          requestId,
          functionCredentials: platformCredentials(platform),
          read: async (maxBodyBytes) => ({ method: incoming.method ?? 'GET', path: `/${rest.join('/')}`, headers, query: queryOf(search), body: await readBody(incoming, headers, maxBodyBytes) }),
        })
      : Promise.resolve(notFound(names, requestId ?? ''));
    call.then(
      (response) => send(incoming, outgoing, response),
      () => outgoing.destroy(),
    );
  };
}

/**
 * A server for the web function: {@link webRequestListener} with keep-alive connections held as
 * long as Function Compute holds them. Listen on `0.0.0.0` and the function's port (9000 unless
 * `customRuntimeConfig.port` says otherwise): FC cannot reach a server bound to 127.0.0.1.
 */
export function createWebServer(routes: WebRoutes): Server {
  const server = createServer(webRequestListener(routes));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  return server;
}

function platformCredentials(platform: ReadonlyMap<string, string>): AccessCredentials | undefined {
  const accessKeyId = platform.get(FC_HEADERS.accessKeyId);
  const accessKeySecret = platform.get(FC_HEADERS.accessKeySecret);
  if (!accessKeyId || !accessKeySecret) return undefined;
  const securityToken = platform.get(FC_HEADERS.securityToken);
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}

/** The path and query string of a request target, as sent (no dot segments resolved). */
function requestTarget(target: string): { path: string; search: string } {
  if (!target.startsWith('/')) {
    const url = new URL(target, 'http://function');
    return { path: url.pathname, search: url.search.slice(1) };
  }
  const mark = target.indexOf('?');
  return mark === -1 ? { path: target, search: '' } : { path: target.slice(0, mark), search: target.slice(mark + 1) };
}

/** The request body, refused as soon as it is known to exceed `maxBodyBytes` (the rest is left unread). */
function readBody(incoming: IncomingMessage, headers: Readonly<Record<string, string>>, maxBodyBytes: number): Promise<Buffer> | Buffer {
  const length = headers['content-length'];
  // No Content-Length and no Transfer-Encoding: no body (RFC 9112 §6.3), nothing to wait for.
  if ((length === undefined || length === '0') && headers['transfer-encoding'] === undefined) return EMPTY;
  if (Number(length ?? '0') > maxBodyBytes) return Promise.reject(bodyTooLarge(maxBodyBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void): void => {
      incoming.off('data', onData).off('end', onEnd).off('aborted', onAborted).off('error', onAborted);
      settle();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        incoming.pause();
        finish(() => reject(bodyTooLarge(maxBodyBytes)));
      } else chunks.push(chunk);
    };
    const onEnd = (): void => finish(() => resolve(Buffer.concat(chunks)));
    const onAborted = (): void => finish(() => reject(malformedRequest('The request body was cut off.')));
    incoming.on('data', onData).on('end', onEnd).on('aborted', onAborted).on('error', onAborted);
  });
}

/**
 * One pass over the request's headers: for the function, names lowercased and repeated headers
 * joined with `,` (as the event adapter does), FC's credential headers left out; and the first
 * value of each header FC adds (`x-fc-*`), for the adapter.
 */
function splitHeaders(rawHeaders: readonly string[]): { headers: Record<string, string>; platform: Map<string, string> } {
  const headers: Record<string, string> = Object.create(null);
  const platform = new Map<string, string>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] as string).toLowerCase();
    const value = rawHeaders[index + 1] as string;
    if (name.startsWith('x-fc-') && !platform.has(name)) platform.set(name, value);
    if (CREDENTIAL_HEADERS.has(name)) continue;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, platform };
}

function queryOf(search: string): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  if (search === '') return query;
  const params = new URLSearchParams(search);
  for (const name of new Set(params.keys())) query[name] = params.getAll(name).join(',');
  return query;
}

function notFound(names: readonly string[], requestId: string): HttpResponse {
  const list = names.map((name) => `/${name}`).join(', ');
  return errorResponse(new TvmError(404, 'NotFound', `No function answers at this path. The functions are ${list}.`), requestId);
}

function send(incoming: IncomingMessage, outgoing: ServerResponse, response: HttpResponse): void {
  // A text body goes out as the string it is: Node then writes head and body in one call.
  const payload = response.isBase64Encoded ? responseBytes(response) : response.body;
  const headers: Record<string, string | number> = { ...response.headers, 'Content-Length': Buffer.byteLength(payload) };
  // A refused request whose body was left unread: close rather than read the rest of it.
  if (!incoming.complete) headers['Connection'] = 'close';
  outgoing.writeHead(response.statusCode, headers).end(payload);
}
