/**
 * The web server adapter (custom runtimes) with real HTTP on loopback: what a function sees of a
 * request, what the caller gets back, and that it sees the same request through the FC event
 * adapter (each adapter is the other's oracle).
 */
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcEventHandler } from '../../shared/http/fc-event';
import { type HttpFunction, createHttpFunction } from '../../shared/http/function-handler';
import type { HttpRequest } from '../../shared/http/message';
import { FC_HEADERS, createWebServer } from '../../shared/http/web-server';
import { createLogger } from '../../shared/log';
import type { AccessCredentials } from '../../shared/sts/sts-client';
import { httpEvent } from '../helpers/fc-events';
import { oftenEqual } from '../helpers/often';

/** What the echo function saw of its last call. */
interface Seen {
  request: HttpRequest;
  requestId: string;
  functionCredentials: AccessCredentials | undefined;
}

const MAX_BODY = 64;
const logLines: string[] = [];
let seen: Seen | undefined;

/** A function that answers with what it was given, in a base64 body (so the bytes come back exactly). */
const echo: HttpFunction = createHttpFunction({
  name: 'echo',
  maxBodyBytes: MAX_BODY,
  logger: createLogger((line) => logLines.push(line)),
  setup: () => undefined,
  route: async (_app, invocation) => {
    seen = { request: invocation.request, requestId: invocation.requestId, functionCredentials: invocation.functionCredentials };
    return { statusCode: 201, headers: { 'X-Echo': 'yes' }, body: invocation.request.body.toString('base64'), isBase64Encoded: true };
  },
});

const server = createWebServer({ echo, other: echo });
let port: number;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends one request (headers as raw name/value pairs, so repeats and case survive) and reads the answer. */
function send(method: string, path: string, headers: string[] = [], body?: Buffer | string, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = body === undefined || chunked ? [] : ['Content-Length', String(Buffer.byteLength(body))];
    const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers: ['Host', 'fn.example', ...length, ...(chunked ? ['Transfer-Encoding', 'chunked'] : []), ...headers], agent: false }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks) }));
    });
    outgoing.on('error', reject);
    if (chunked && body !== undefined) for (let index = 0; index < body.length; index += 16) outgoing.write(body.slice(index, index + 16));
    outgoing.end(chunked ? undefined : body);
  });
}

describe('the web server adapter', () => {
  it('hands the function the request below its path: method, lowercase headers, query and body bytes', async () => {
    const body = Buffer.from([0, 1, 2, 255]);
    const answer = await send('POST', '/echo/a/b?scope=user&x=1&x=2', ['Content-Type', 'application/octet-stream', 'X-Thing', 'a', 'x-thing', 'b'], body);

    expect(answer.status).toBe(201);
    expect(answer.headers['x-echo']).toBe('yes');
    expect(answer.headers['content-length']).toBe('4');
    expect([...answer.body]).toEqual([0, 1, 2, 255]);
    expect(seen?.request).toMatchObject({ method: 'POST', path: '/a/b', query: { scope: 'user', x: '1,2' } });
    expect(seen?.request.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'x-thing': 'a,b', host: 'fn.example' });
    expect([...(seen?.request.body ?? [])]).toEqual([0, 1, 2, 255]);
  });

  it('takes the request id and the function role credentials from the headers Function Compute adds, and hides the credentials from the function', async () => {
    await send('GET', '/echo', [FC_HEADERS.requestId, 'fc-req-1', FC_HEADERS.accessKeyId, 'STS.id', FC_HEADERS.accessKeySecret, 'role-secret', FC_HEADERS.securityToken, 'CAIS-token']);

    expect(seen?.requestId).toBe('fc-req-1');
    expect(seen?.functionCredentials).toEqual({ accessKeyId: 'STS.id', accessKeySecret: 'role-secret', securityToken: 'CAIS-token' });
    expect(Object.keys(seen?.request.headers ?? {})).not.toEqual(expect.arrayContaining([FC_HEADERS.accessKeySecret]));
    expect(JSON.stringify(seen?.request.headers)).not.toMatch(/role-secret|CAIS-token|STS\.id/);
    expect(logLines.at(-1)).toContain('"requestId":"fc-req-1"');
  });

  it('gives the function no credentials when FC sends none (a function without a role), and makes up a request id', async () => {
    await send('GET', '/echo', [FC_HEADERS.accessKeyId, 'STS.id']);

    expect(seen?.functionCredentials).toBeUndefined();
    expect(seen?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['declared by Content-Length', false],
    ['sent in chunks without a length', true],
  ])('refuses a body over the function\'s limit %s with 413 PayloadTooLarge, and closes the connection', async (_case, chunked) => {
    seen = undefined;
    const answer = await send('POST', '/echo', [FC_HEADERS.requestId, 'big'], Buffer.alloc(MAX_BODY * 64, 'x'), chunked);

    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body.toString())).toEqual({ StatusCode: 413, ErrorCode: 'PayloadTooLarge', ErrorMessage: expect.any(String), RequestId: 'big' });
    expect(answer.headers['connection']).toBe('close');
    expect(seen).toBeUndefined();
    expect(JSON.parse(logLines.at(-1) ?? '{}')).toMatchObject({ requestId: 'big', function: 'echo', status: 413, errorCode: 'PayloadTooLarge' });
  });

  it('accepts a body of exactly the limit', async () => {
    const answer = await send('POST', '/echo', [], Buffer.alloc(MAX_BODY, 'y'));
    expect(answer.status).toBe(201);
    expect(answer.body.length).toBe(MAX_BODY);
  });

  it.each(['/', '/nothing', '/echoes', '/__proto__', '/constructor/x'])('answers %s, which names no function, with 404 NotFound listing the functions', async (path) => {
    const answer = await send('GET', path, [FC_HEADERS.requestId, 'r404']);

    expect(answer.status).toBe(404);
    const body = JSON.parse(answer.body.toString()) as Record<string, string>;
    expect(body).toMatchObject({ StatusCode: 404, ErrorCode: 'NotFound', RequestId: 'r404' });
    expect(body['ErrorMessage']).toContain('/echo, /other');
  });

  it('keeps idle connections open as long as Function Compute may reuse them', () => {
    expect(server.keepAliveTimeout).toBeGreaterThanOrEqual(5 * 60_000);
  });
});

describe('both adapters', () => {
  const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((name) => !['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer'].includes(name.toLowerCase()) && !name.toLowerCase().startsWith('x-fc-'));
  const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
  const requests = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    path: fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), { maxLength: 3 }).map((parts) => `/${parts.join('/')}`),
    headers: fc.dictionary(headerName, headerValue, { maxKeys: 5 }),
    query: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 4 }),
    body: fc.uint8Array({ maxLength: MAX_BODY }),
  });

  it('show a function the same request, whether an HTTP trigger event or the web server carried it', async () => {
    const viaEvent = fcEventHandler(echo);
    await fc.assert(
      fc.asyncProperty(requests, async ({ method, path, headers, query, body }) => {
        const lowercase = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
        if (Object.keys(lowercase).length !== Object.keys(headers).length) return;
        const search = new URLSearchParams(query).toString();
        await send(method, `/echo${path}${search ? `?${search}` : ''}`, Object.entries(headers).flat(), Buffer.from(body));
        const overHttp = seen?.request;
        // The event carries the headers the HTTP request had, those the client library added included.
        const sent = { ...headers, host: 'fn.example', 'content-length': String(body.length), connection: 'close' };
        await viaEvent(httpEvent({ method, path, headers: sent, query, body: Buffer.from(body).toString('base64'), isBase64Encoded: true }));
        oftenEqual(overHttp, seen?.request);
      }),
      { numRuns: 300 },
    );
  });
});
