import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest, longest first (measured with `--reporter=json` on 2 cores): the
 * 10,000-run properties over both handlers, and files that wait on child processes or real
 * timeouts. They start first so that no long file is left running alone at the end. The files that
 * mostly wait (real STS timeouts, `npm start`) stand apart in the list, between files that compute,
 * so that two of them seldom wait side by side while a core idles.
 */
const LONGEST = [
  'test/faults/sts-faults.test.ts', 'test/abuse/tokens.test.ts', 'test/capacity/model.test.ts', 'test/abuse/events.test.ts', 'test/abuse/v4.test.ts',
  'test/faults/real-defaults.test.ts', 'test/abuse/requests.test.ts', 'test/post-object/policy-property.test.ts', 'test/capacity/validation.test.ts',
  'test/faults/stale-if-error.test.ts', 'test/abuse/string-to-sign.test.ts', 'test/local/sts-emulator.test.ts', 'test/sts/shared-cache.test.ts', 'test/local/post-object-form.test.ts',
  'test/local/start.test.ts', 'test/deploy/s-yaml.test.ts', 'test/config/load-config.test.ts', 'test/scripts/invoke.test.ts', 'test/local/demo-issuer.test.ts',
  'test/scripts/smoke.test.ts', 'test/faults/sts-quota.test.ts', 'test/scripts/help.test.ts', 'test/local/sandbox.test.ts', 'test/e2e/browser-uploads.test.ts',
  'test/faults/retries.test.ts', 'test/auth/authenticate.test.ts', 'test/scripts/build.test.ts',
];

/**
 * vitest's order (files that failed last time, then the longest last time, or the largest on a
 * fresh clone, where it has no timings), with {@link LONGEST} moved to the front: file size says
 * little about run time (on a fresh clone the longest property files, which are short, ran last).
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = LONGEST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return index === -1 ? LONGEST.length : index;
    };
    return sorted.map((spec, order) => ({ spec, order, rank: rank(spec) })).sort((a, b) => a.rank - b.rank || a.order - b.order).map(({ spec }) => spec);
  }
}

/**
 * How `npm test` runs, chosen by measurement on a 2-core machine (README, "Quick start"):
 * - `isolate: false`: a worker runs file after file in one module graph instead of starting a
 *   fresh process and re-importing everything per file. That start-up cost was about a fifth of
 *   the suite's CPU time (ali-oss, the sandbox, and fast-check's full-Unicode string arbitraries,
 *   over a second each per file). Files keep no state in modules, only keys made once per process
 *   and never changed (test/helpers/jwt.ts and tls.ts, the abuse world's, the demo identity
 *   provider's): each file starts its own servers and handlers, and restores what it changes
 *   (process.env, fake timers, process listeners). The
 *   re-runs (`*.web.test.ts`: a suite once more under the web adapter) select the adapter, import
 *   the suite under a query of their own (a module apart from the suite that another file may have
 *   loaded) and select FC events again after their tests.
 * - `maxWorkers: 3`: vitest's default on 2 cores is one worker, so the suite ran file by file.
 *   Many files wait rather than compute (real STS timeouts, child processes such as `npm start`
 *   and `s preview`), so one worker more than the cores keeps both cores busy.
 * - the longest files first ({@link LongestFirst}).
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    include: ['test/**/*.test.ts'],
    isolate: false,
  },
});
