/**
 * The memory benchmark's worker, bundled by esbuild and run with `node --expose-gc`: loads the
 * vend-token bundle (configured from TVM_* as FC configures it, logging to stdout, which the parent
 * points at /dev/null), then sends BENCH_IDENTITIES distinct identities through it, BENCH_CONCURRENCY
 * in flight, each with its own RS256 token signed here with jose (the signer's share of memory is
 * counted too, so the figure errs high). At each checkpoint it waits for the requests in flight,
 * collects garbage twice and reports `process.memoryUsage()` over IPC.
 */
import { createRequire } from 'node:module';
import { createDemoIssuer } from '../../local/demo-issuer';
import type { FcContext } from '../../shared/http/fc-event';
import type { HttpResponse } from '../../shared/http/message';
import { AUDIENCE, ISSUER, functionRequest, functionSettings, httpEvent, runPool } from './common';

type Handler = (event: Buffer, context: FcContext) => Promise<HttpResponse>;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const environment = process.env;
const identities = Number(environment['BENCH_IDENTITIES'] ?? '100000');
const concurrency = Number(environment['BENCH_CONCURRENCY'] ?? '20');
const credentials = JSON.parse(environment['BENCH_FUNCTION_CREDENTIALS'] ?? '{}') as FcContext['credentials'];

const issuer = await createDemoIssuer(ISSUER, AUDIENCE);
Object.assign(environment, functionSettings({ url: environment['BENCH_STS_URL'] ?? '', roleArn: environment['BENCH_ROLE_ARN'] ?? '' }, issuer));
const { handler } = createRequire(import.meta.url)(environment['BENCH_BUNDLE'] ?? '') as { handler: Handler };

let failures = 0;
const serve = async (subject: string): Promise<void> => {
  const token = await issuer.issue(subject, 3600);
  const response = await handler(httpEvent(functionRequest('vend-token', token, subject)), { requestId: subject, credentials });
  if (response.statusCode !== 200) failures += 1;
};
const report = (served: number, started: number): void => {
  gc();
  gc();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  process.send?.({ type: 'checkpoint', identities: served, rss, heapUsed, heapTotal, external, elapsedMs: performance.now() - started });
};

// One request loads everything lazy (fetch, WebCrypto) before the first figure.
await serve('warm-up');
const started = performance.now();
report(0, started);
const checkpoints = [10_000, 25_000, 50_000, 75_000, 100_000, identities].filter((count, index, all) => count <= identities && all.indexOf(count) === index);
let served = 0;
for (const checkpoint of checkpoints) {
  await runPool(served, checkpoint, concurrency, (index) => serve(`u${index}`));
  served = checkpoint;
  report(served, started);
}
process.send?.({ type: 'done', failures });
process.disconnect?.();
