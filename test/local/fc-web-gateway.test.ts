/** The sandbox's stand-in for Function Compute in front of the web function: what it adds, what it drops. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FcWebGateway, startFcWebGateway } from '../../local/fc-web-gateway';
import { listen } from '../../local/listen';
import { type Invocation, createHttpFunction } from '../../shared/http/function-handler';
import { jsonResponse } from '../../shared/http/message';

const ROLE = { accessKeyId: 'STS.role', accessKeySecret: 'role-secret', securityToken: 'CAIS-role' };
let gateway: FcWebGateway;
const front = createServer((request, response) => gateway.forward(request, response));
let frontUrl: string;
let last: Invocation | undefined;

beforeAll(async () => {
  const echo = createHttpFunction({
    name: 'echo',
    maxBodyBytes: 1024,
    logger: { request: () => {}, event: () => {} },
    setup: () => undefined,
    route: async (_app, invocation) => {
      last = invocation;
      return jsonResponse(200, { body: invocation.request.body.toString() });
    },
  });
  gateway = await startFcWebGateway({ echo }, '127.0.0.1', ROLE);
  await listen(front, '127.0.0.1', 0);
  frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  front.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
  await gateway.close();
});

describe('the sandbox in front of the web function', () => {
  it('passes the request on with a request id and the function role credentials, as Function Compute does', async () => {
    const response = await fetch(`${frontUrl}/echo/x?scope=user`, { method: 'POST', body: 'hello', headers: { 'Content-Type': 'text/plain' } });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ body: 'hello' });
    expect(last?.functionCredentials).toEqual(ROLE);
    expect(last?.request).toMatchObject({ method: 'POST', path: '/x', query: { scope: 'user' } });
    expect(response.headers.get('x-fc-request-id')).toBe(last?.requestId);
    expect(last?.requestId).toMatch(/^1-[0-9a-f-]{36}$/);
  });

  it('drops x-fc-* headers a caller sends, so no caller can hand the function credentials or a request id', async () => {
    await fetch(`${frontUrl}/echo`, { headers: { 'x-fc-access-key-id': 'STS.attacker', 'x-fc-access-key-secret': 'attacker', 'X-Fc-Request-Id': 'forged', 'x-fc-function-name': 'other' } });

    expect(last?.functionCredentials).toEqual(ROLE);
    expect(last?.requestId).not.toBe('forged');
    expect(Object.keys(last?.request.headers ?? {}).filter((name) => name.startsWith('x-fc-'))).toEqual(['x-fc-request-id']);
  });

  it('serves the function from its own server, as a custom runtime runs it', async () => {
    const response = await fetch(`${gateway.functionUrl}/echo`, { headers: { 'x-fc-request-id': 'direct' } });

    expect(response.status).toBe(200);
    expect(last?.requestId).toBe('direct');
    expect(last?.functionCredentials).toBeUndefined();
  });
});
