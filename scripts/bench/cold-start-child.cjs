'use strict';
// A minimal FC runtime for one cold start: load the bundle named by BENCH_BUNDLE (configured by the
// TVM_* environment, as FC configures it), answer the one event in BENCH_EVENT with the context in
// BENCH_CONTEXT, report timings on stdout after a marker, and exit. Plain CommonJS on purpose: no
// loader (tsx) may add to what is measured.
const { performance } = require('node:perf_hooks');

const started = performance.now(); // ms since the process began (performance.timeOrigin)
const { handler } = require(process.env.BENCH_BUNDLE);
const loaded = performance.now();

handler(Buffer.from(process.env.BENCH_EVENT, 'utf8'), JSON.parse(process.env.BENCH_CONTEXT)).then(
  (response) => {
    const answered = performance.now();
    const errorCode = response.statusCode === 200 ? undefined : String(JSON.parse(response.body).ErrorCode);
    const result = { bootMs: started, requireMs: loaded - started, firstRequestMs: answered - loaded, status: response.statusCode, errorCode };
    require('node:fs').writeSync(1, `\nBENCH_RESULT ${JSON.stringify(result)}\n`);
    process.exit(response.statusCode === 200 ? 0 : 1);
  },
  (error) => {
    require('node:fs').writeSync(2, `cold-start child: ${error && error.stack ? error.stack : error}\n`);
    process.exit(2);
  },
);
