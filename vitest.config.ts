import { defineConfig } from 'vitest/config';

/**
 * How `npm test` runs, chosen by measurement on a 2-core machine (README, "Quick start"):
 * - `isolate: false`: a worker runs file after file in one module graph instead of starting a
 *   fresh process and re-importing everything per file. That start-up cost was about a fifth of
 *   the suite's CPU time (ali-oss, the sandbox, and fast-check's full-Unicode string arbitraries,
 *   over a second each per file). Files keep no state in modules: each starts its own servers and
 *   handlers, and restores what it changes (process.env, fake timers, process listeners).
 * - `maxWorkers: 3`: vitest's default on 2 cores is one worker, so the suite ran file by file.
 *   Many files wait rather than compute (real STS timeouts, child processes such as `npm start`
 *   and `s preview`), so one worker more than the cores keeps both cores busy.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    isolate: false,
    maxWorkers: 3,
  },
});
