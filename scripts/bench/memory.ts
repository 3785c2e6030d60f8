/**
 * Memory: resident set size of a vend-token instance after many distinct identities, each a cache
 * miss, with the STS emulator (in this process) answering at once. The instance is a child process
 * on plain `node` (no tsx loader), so nothing else here adds to its memory. The credential cache keeps
 * at most 10,000 entries, so RSS must level off once it is full; the bound is {@link RSS_BOUND_BYTES}.
 */
import { StsEmulator } from '../../local/sts-emulator';
import { nextMessage, round, spawnNode, stopChild } from './common';
import { compileScript } from './compile';
import type { Bundle } from './cold-start';

/**
 * The stated bound on the instance's RSS after 100,000 identities: 200 MiB, which leaves a fifth of
 * the 256 MB instance s.yaml deploys (memorySize) to spare.
 */
export const RSS_BOUND_BYTES = 200 * 1024 * 1024;
/** Requests in flight: s.yaml's instanceConcurrency, what one instance serves at most. */
export const CONCURRENCY = 20;
const CACHE_ENTRIES = 10_000;

export interface MemoryCheckpoint {
  identities: number;
  rssMiB: number;
  heapTotalMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  elapsedMs: number;
}

export interface MemoryResult {
  identities: number;
  concurrency: number;
  cacheEntries: number;
  boundMiB: number;
  /** AssumeRole calls the emulator received (one per identity, plus the warm-up). */
  assumeRoleCalls: number;
  failures: number;
  checkpoints: MemoryCheckpoint[];
  /** RSS after all identities divided by RSS once the cache first filled (10,000 identities). */
  rssAfterOverCacheFull?: number;
  /** RSS after all identities divided by RSS after the warm-up request. */
  rssAfterOverStart: number;
  elapsedMs: number;
}

interface CheckpointMessage {
  type: 'checkpoint';
  identities: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  elapsedMs: number;
}

const MiB = 1024 * 1024;

export async function measureMemory(bundles: Bundle[], workDir: string, identities: number, log: (line: string) => void): Promise<MemoryResult> {
  const bundle = bundles.find((candidate) => candidate.name === 'vend-token');
  if (!bundle) throw new Error('no bundle for vend-token');
  const script = await compileScript('memory-child.ts', workDir);
  const sts = await StsEmulator.start({ latencyMs: 0 });
  const child = spawnNode(['--expose-gc', script], {
    BENCH_BUNDLE: bundle.file,
    BENCH_STS_URL: sts.url,
    BENCH_ROLE_ARN: sts.defaultRoleArn,
    BENCH_FUNCTION_CREDENTIALS: JSON.stringify(sts.createFunctionCredentials()),
    BENCH_IDENTITIES: String(identities),
    BENCH_CONCURRENCY: String(CONCURRENCY),
  });
  const checkpoints: MemoryCheckpoint[] = [];
  let assumeRoleCalls = 0;
  let failures = 0;
  try {
    const done = nextMessage<{ type: 'done'; failures: number }>(child, 'done');
    child.on('message', (message: CheckpointMessage) => {
      if (message.type !== 'checkpoint') return;
      // The emulator keeps a record of every call; drop them as we go so this process stays small.
      assumeRoleCalls += sts.assumeRoleCalls;
      sts.reset();
      const point = {
        identities: message.identities,
        rssMiB: round(message.rss / MiB, 1),
        heapTotalMiB: round(message.heapTotal / MiB, 1),
        heapUsedMiB: round(message.heapUsed / MiB, 1),
        externalMiB: round(message.external / MiB, 1),
        elapsedMs: round(message.elapsedMs, 0),
      };
      checkpoints.push(point);
      log(`  memory: ${point.identities} identities: RSS ${point.rssMiB} MiB, heap ${point.heapUsedMiB}/${point.heapTotalMiB} MiB (${Math.round(point.elapsedMs / 1000)} s)`);
    });
    failures = (await done).failures;
  } finally {
    await stopChild(child);
    await sts.close();
  }
  const first = checkpoints[0];
  const last = checkpoints.at(-1);
  const full = checkpoints.find((point) => point.identities === CACHE_ENTRIES);
  if (!first || !last) throw new Error('the memory child reported nothing');
  return {
    identities,
    concurrency: CONCURRENCY,
    cacheEntries: CACHE_ENTRIES,
    boundMiB: RSS_BOUND_BYTES / MiB,
    assumeRoleCalls,
    failures,
    checkpoints,
    ...(full && full !== last ? { rssAfterOverCacheFull: round(last.rssMiB / full.rssMiB, 3) } : {}),
    rssAfterOverStart: round(last.rssMiB / first.rssMiB, 3),
    elapsedMs: last.elapsedMs,
  };
}
