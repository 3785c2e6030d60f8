/**
 * A server for the warm benchmark, in its own process so the load generator does not share its
 * event loop. `bare`: node:http answering a fixed body. `<function> <bundle>`: the function's bundle
 * (configured from the TVM_* environment, as FC configures it) served through the FC HTTP trigger
 * bridge, with the function role credentials from BENCH_FUNCTION_CREDENTIALS. The functions log
 * to stdout as in FC; the parent points stdout at /dev/null. Sends `{type: 'ready', port}` over IPC.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { type EventHandler, invokeOverHttp } from '../../local/fc-http-bridge';
import type { FcContext } from '../../shared/http/fc-event';

/** A fixed answer the size and shape of a vend-token answer, so the bare server moves as many bytes. */
const BARE_BODY = JSON.stringify({
  StatusCode: 200,
  AccessKeyId: `STS.${'A'.repeat(28)}`,
  AccessKeySecret: 'S'.repeat(44),
  SecurityToken: `CAIS${'T'.repeat(324)}`,
  Expiration: '2026-11-23T10:00:00Z',
  Bucket: 'photos',
  Region: 'cn-hangzhou',
  Endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
  Scope: 'user',
  Actions: ['read', 'write'],
  Prefix: 'users/user-0/',
  ServerTime: '2026-11-23T09:00:00Z',
});

const [mode = 'bare', bundle] = process.argv.slice(2);
const server = createServer();

if (mode === 'bare') {
  server.on('request', (request, response) => {
    request.resume();
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(BARE_BODY);
  });
} else {
  if (bundle === undefined) throw new Error('usage: warm-server.ts <function> <bundle>');
  const { handler } = createRequire(import.meta.url)(bundle) as { handler: EventHandler };
  const credentials = JSON.parse(process.env['BENCH_FUNCTION_CREDENTIALS'] ?? '{}') as FcContext['credentials'];
  const context = (requestId: string): FcContext => ({ requestId, credentials, region: 'cn-hangzhou' });
  server.on('request', (request, response) => {
    invokeOverHttp(handler, request, response, '/', context).catch(() => response.destroy());
  });
}

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
