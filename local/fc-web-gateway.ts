/**
 * Serves a web function the way Function Compute does for a custom runtime: the function's own
 * server (`createWebServer`, exactly what the web profile deploys) listening on its own port, and
 * in front of it a forwarder that passes each request on with the headers FC adds: the request id
 * and the function role's credentials (`x-fc-request-id`, `x-fc-access-key-id`,
 * `x-fc-access-key-secret`, `x-fc-security-token`). Headers named `x-fc-*` that a caller sends are
 * dropped first, so a caller cannot hand the function credentials of its own.
 */
import { randomUUID } from 'node:crypto';
import { Agent, type IncomingMessage, type ServerResponse, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FcContext } from '../shared/http/fc-event';
import { FC_HEADERS, type WebRoutes, createWebServer } from '../shared/http/web-server';
import { listen } from './listen';

/** A web function behind its forwarder. */
export interface FcWebGateway {
  /** The function server's own address, as FC's forwarder reaches it. */
  readonly functionUrl: string;
  /** Forwards one request to the function server, as FC's HTTP trigger would. */
  forward(request: IncomingMessage, response: ServerResponse): void;
  close(): Promise<void>;
}

/** Starts the web function server for `routes` on `host` (a free port) and the forwarder in front of it. */
export async function startFcWebGateway(routes: WebRoutes, host: string, credentials: FcContext['credentials']): Promise<FcWebGateway> {
  const server = createWebServer(routes);
  await listen(server, host, 0);
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true });
  const platformHeaders = (requestId: string): string[] => [
    FC_HEADERS.requestId, requestId,
    ...(credentials?.accessKeyId ? [FC_HEADERS.accessKeyId, credentials.accessKeyId] : []),
    ...(credentials?.accessKeySecret ? [FC_HEADERS.accessKeySecret, credentials.accessKeySecret] : []),
    ...(credentials?.securityToken ? [FC_HEADERS.securityToken, credentials.securityToken] : []),
  ];
  return {
    functionUrl: `http://${host}:${port}`,
    forward(request, response) {
      const requestId = `1-${randomUUID()}`;
      const headers: string[] = [];
      for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
        const name = request.rawHeaders[index] as string;
        if (!name.toLowerCase().startsWith('x-fc-')) headers.push(name, request.rawHeaders[index + 1] as string);
      }
      headers.push(...platformHeaders(requestId));
      const upstream = httpRequest({ host, port, agent, method: request.method, path: request.url, headers }, (answer) => {
        const { 'keep-alive': _hopByHop, ...answerHeaders } = answer.headers;
        response.writeHead(answer.statusCode ?? 502, { ...answerHeaders, [FC_HEADERS.requestId]: requestId });
        answer.pipe(response);
      });
      upstream.on('error', () => {
        if (response.headersSent) response.destroy();
        else response.writeHead(502, { 'Content-Type': 'text/plain' }).end('The function did not answer.\n');
      });
      request.pipe(upstream);
    },
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
