/**
 * The sandbox's own routes (everything but the functions): a path, and what answers it. The
 * sandbox looks a request's path up in one table, so a new page is one entry.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers one request to its path; `url` is the request URL, parsed. */
export type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>;

/** Routes by exact path, such as `/health`. */
export type RouteTable = Readonly<Record<string, Route>>;

/** Sends `body` as pretty-printed JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

/** Sends `text` (a line feed added when it has none) as text/plain with `status`. */
export function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(text.endsWith('\n') ? text : `${text}\n`);
}

/** A route that answers only GET (and HEAD), and 405 with `Allow` otherwise. */
export function getOnly(route: Route): Route {
  return (request, response, url) => {
    if (request.method === 'GET' || request.method === 'HEAD') return route(request, response, url);
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Use GET.\n');
    return undefined;
  };
}
