import { defineConfig } from 'vitest/config';

/** Files that run another suite once more under a different setting (`*.web.test.ts` selects the web adapter, then imports the suite). */
const RERUNS = 'test/**/*.web.test.ts';

/**
 * How `npm test` runs, chosen by measurement on a 2-core machine (README, "Quick start"):
 * - `isolate: false`: a worker runs file after file in one module graph instead of starting a
 *   fresh process and re-importing everything per file. That start-up cost was about a fifth of
 *   the suite's CPU time (ali-oss, the sandbox, and fast-check's full-Unicode string arbitraries,
 *   over a second each per file). Files keep no state in modules: each starts its own servers and
 *   handlers, and restores what it changes (process.env, fake timers, process listeners).
 *   The re-runs are the exception: they set module state (the adapter) and import a suite module
 *   that another file may already have loaded, so each gets a fresh module graph of its own.
 * - `maxWorkers: 3`: vitest's default on 2 cores is one worker, so the suite ran file by file.
 *   Many files wait rather than compute (real STS timeouts, child processes such as `npm start`
 *   and `s preview`), so one worker more than the cores keeps both cores busy.
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'suites', include: ['test/**/*.test.ts'], exclude: [RERUNS], isolate: false } },
      { extends: true, test: { name: 'reruns', include: [RERUNS], isolate: true } },
    ],
  },
});
