/**
 * `npm run bench`: the performance figures of the README, each measured as a ratio against a baseline
 * taken in the same run, so they mean the same on a noisy machine. Prints a table (markdown) and
 * writes the same figures to bench-results.json.
 *
 *   npm run bench -- [--duration <s>] [--runs <n>] [--only cold|warm|sts|memory[,…]] [--out <file>] [--identities <n>]
 *
 * Parts: cold start (fresh node processes loading the bundles, against an empty file), warm
 * throughput (autocannon against each function and a bare node:http server), STS economy (AssumeRole
 * calls for a crowd of identities and for a burst of one), memory (RSS after many identities).
 * It exits 0 when a goal is missed: missed goals are marked MISS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem, type as osType } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ColdStartResult } from './bench/cold-start';
import { root, round } from './bench/common';
import type { MemoryResult } from './bench/memory';
import type { StsEconomyResult } from './bench/sts-economy';
import type { WarmResult } from './bench/warm';

const PARTS = ['cold', 'warm', 'sts', 'memory'] as const;
type Part = (typeof PARTS)[number];

const COLD_START_GOAL = 1.3;
const WARM_GOAL = 0.7;

const USAGE = `usage: npm run bench -- [options]
  --duration <s>     seconds of load per warm server (default 10)
  --runs <n>         cold-start runs per variant (default 21)
  --only <parts>     cold, warm, sts, memory, or several separated by commas (default all)
  --out <file>       where to write the JSON results (default bench-results.json)
  --identities <n>   distinct identities for the memory part (default 100000)`;

interface Goal {
  part: Part;
  name: string;
  value: number;
  goal: string;
  pass: boolean;
}

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} must be a positive integer: ${text}\n${USAGE}`);
  return value;
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      runs: { type: 'string', default: '21' },
      only: { type: 'string' },
      out: { type: 'string', default: 'bench-results.json' },
      identities: { type: 'string', default: '100000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only?.split(',').map((part) => part.trim()) ?? [...PARTS];
  const unknown = only.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) throw new Error(`unknown part for --only: ${unknown.join(', ')}\n${USAGE}`);
  return {
    durationSeconds: positiveInteger(values.duration, '--duration'),
    runs: positiveInteger(values.runs, '--runs'),
    parts: new Set(only as Part[]),
    out: resolve(process.cwd(), values.out),
    identities: positiveInteger(values.identities, '--identities'),
  };
}

function machine() {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cpuCount: cores.length,
    totalMemoryGiB: round(totalmem() / 1024 ** 3, 1),
    os: `${osType()} ${release()}`,
    node: process.version,
  };
}

/** The commit measured, and whether the working tree differed from it. */
function source(): { commit: string; modified: boolean } {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), modified: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', modified: false };
  }
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const mark = (pass: boolean): string => (pass ? 'PASS' : 'MISS');
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const fixed = (value: number | undefined, digits = 1): string => (value === undefined ? '–' : value.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function coldStartSection(result: ColdStartResult, goals: Goal[]): string {
  const rows = result.rows.map((row) => {
    const isGoal = row.function !== undefined && row.keySource === 'TVM_JWT_PUBLIC_KEY';
    const profile = row.server === 'web' ? 'web profile' : 'event profile';
    if (isGoal) goals.push({ part: 'cold', name: `cold start ${row.function} (${profile})`, value: row.ratio, goal: `≤ ${COLD_START_GOAL}`, pass: row.ratio <= COLD_START_GOAL });
    return [
      row.label,
      row.bundleBytes === undefined ? '–' : kib(row.bundleBytes),
      fixed(row.wallMs),
      row.ratio.toFixed(2),
      isGoal ? `≤ ${COLD_START_GOAL}` : row.function || row.server ? '(info)' : 'baseline',
      isGoal ? mark(row.ratio <= COLD_START_GOAL) : '',
      row.ratioToBareServer === undefined ? '–' : row.ratioToBareServer.toFixed(2),
      row.answerMs === undefined ? '–' : `${fixed(row.answerMs)} (${fixed(row.answerRatio, 2)})`,
      row.bootMs === undefined ? '–' : `${fixed(row.bootMs)} / ${fixed(row.requireMs)} / ${fixed(row.firstRequestMs)}`,
    ];
  });
  return [
    `### Cold start (median of ${result.runs} interleaved runs of each; a fresh \`node\` per run)`,
    '',
    table(['Process', 'Bundle', 'Spawn→exit ms (servers: →answer)', 'Ratio', 'Goal', 'Result', 'Ratio to bare server', 'Spawn→answer ms (ratio)', 'In the child: start / require / 1st request ms'], rows),
    '',
    'Ratio: spawn→exit of the function\'s process over that of `node empty.cjs`; for the servers (the web profile, and a bare node:http ' +
      'server beside it), spawn→first answer over the same baseline: the server is polled until its port accepts connections, as ' +
      'Function Compute waits for a custom runtime, then sent one request. Ratio to bare server: spawn→first answer over the bare ' +
      'node:http server\'s. Spawn→answer: until the answer reached the parent, without the exit. In the child: from process start to ' +
      'its first line, `require` of the bundle, and the first request through `handler`.',
  ].join('\n');
}

function warmSection(result: WarmResult, goals: Goal[]): string {
  const rows = result.rows.map((row) => {
    const valid = row.non2xx === 0 && row.errors === 0;
    if (row.ratio !== undefined) goals.push({ part: 'warm', name: `warm throughput ${row.function} (${row.profile} profile)`, value: row.ratio, goal: `≥ ${WARM_GOAL}`, pass: valid && row.ratio >= WARM_GOAL });
    return [
      row.label,
      String(row.requestsPerSecond),
      String(row.p50Ms),
      String(row.p99Ms),
      row.ratio === undefined ? 'baseline' : row.ratio.toFixed(2),
      row.ratio === undefined ? '' : `≥ ${WARM_GOAL}`,
      row.ratio === undefined ? '' : mark(valid && row.ratio >= WARM_GOAL),
      valid ? '' : `${row.non2xx} non-2xx, ${row.errors} errors`,
    ];
  });
  return [
    `### Warm throughput (autocannon, ${result.connections} connections, ${result.durationSeconds} s each after ${result.warmupSeconds} s of warm-up; ${result.identities} identities' RS256 tokens, credential-cache hits)`,
    '',
    table(['Server', 'req/s', 'p50 ms', 'p99 ms', 'Ratio to bare', 'Goal', 'Result', 'Errors'], rows),
    '',
    `Each function's ratio is to the mean of the bare runs just before and after it; all bare runs: mean ${result.baselineRequestsPerSecond} req/s.`,
  ].join('\n');
}

function stsSection(result: StsEconomyResult, goals: Goal[]): string {
  const { crowd, burst, presign } = result;
  const crowdPass = crowd.assumeRoleCalls === crowd.expected && crowd.failures === 0;
  const burstPass = burst.assumeRoleCalls === burst.expected && burst.failures === 0;
  const presignPass = presign.assumeRoleCalls <= presign.atMost && presign.failures === 0;
  goals.push({ part: 'sts', name: 'AssumeRole calls, 1,000 identities × 20', value: crowd.assumeRoleCalls, goal: `= ${crowd.expected}`, pass: crowdPass });
  goals.push({ part: 'sts', name: 'AssumeRole calls, 100 concurrent first requests', value: burst.assumeRoleCalls, goal: `= ${burst.expected}`, pass: burstPass });
  goals.push({ part: 'sts', name: 'AssumeRole calls, 1,000 presigned URLs over a credential lifetime', value: presign.assumeRoleCalls, goal: `≤ ${presign.atMost}`, pass: presignPass });
  const outcomes = (cache: Record<string, number>): string => Object.entries(cache).filter(([, count]) => count > 0).map(([name, count]) => `${count} ${name}`).join(', ');
  return [
    `### STS economy (vend-token in process, STS emulator answering after ${result.stsLatencyMs} ms)`,
    '',
    table(['Case', 'AssumeRole calls', 'Goal', 'Result', 'Cache outcomes', 'Time'], [
      [`${crowd.identities.toLocaleString('en')} identities × ${crowd.requestsPerIdentity} requests, interleaved, ${crowd.concurrency} in flight`, String(crowd.assumeRoleCalls), `= ${crowd.expected}`, mark(crowdPass), outcomes(crowd.cache) + (crowd.failures ? `, ${crowd.failures} failed` : ''), `${(crowd.elapsedMs / 1000).toFixed(1)} s`],
      [`${burst.requests} concurrent first requests of one identity`, String(burst.assumeRoleCalls), `= ${burst.expected}`, mark(burstPass), outcomes(burst.cache) + (burst.failures ? `, ${burst.failures} failed` : ''), `${burst.elapsedMs} ms`],
      [`sign-request: ${presign.urls.toLocaleString('en')} presigned URLs of one identity at the maximum TTL (${presign.maxUrlTtlSeconds} s), spread over one ${presign.durationSeconds} s credential lifetime (simulated clock)`, String(presign.assumeRoleCalls), `≤ ${presign.atMost}`, mark(presignPass), presign.failures ? `${presign.failures} failed` : '', ''],
    ]),
  ].join('\n');
}

function memorySection(result: MemoryResult, goals: Goal[]): string {
  const last = result.checkpoints.at(-1);
  const pass = last !== undefined && last.rssMiB <= result.boundMiB && result.failures === 0;
  goals.push({ part: 'memory', name: `RSS after ${result.identities} identities (MiB)`, value: last?.rssMiB ?? Number.NaN, goal: `≤ ${result.boundMiB}`, pass });
  const rows = result.checkpoints.map((point) => [
    point.identities === 0 ? '0 (after one warm-up request)' : point.identities.toLocaleString('en'),
    fixed(point.rssMiB),
    `${fixed(point.heapUsedMiB)} / ${fixed(point.heapTotalMiB)}`,
    fixed(point.externalMiB),
    `${(point.elapsedMs / 1000).toFixed(0)} s`,
  ]);
  return [
    `### Memory (vend-token bundle in its own \`node\` process, one new identity per request, ${result.concurrency} in flight (instanceConcurrency), STS emulator without delay; the cache holds at most ${result.cacheEntries.toLocaleString('en')} entries)`,
    '',
    table(['Identities', 'RSS MiB', 'Heap used / total MiB', 'External MiB', 'Elapsed'], rows),
    '',
    `RSS after ${result.identities.toLocaleString('en')} identities: ${fixed(last?.rssMiB)} MiB; bound ≤ ${result.boundMiB} MiB: ${mark(pass)}. ` +
      `Ratio to RSS after the warm-up: ${result.rssAfterOverStart.toFixed(2)}` +
      (result.rssAfterOverCacheFull === undefined ? '' : `; to RSS once the cache was full (10,000): ${result.rssAfterOverCacheFull.toFixed(2)}`) +
      `. ${result.assumeRoleCalls.toLocaleString('en')} AssumeRole calls, ${result.failures} failed requests.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const settings = options();
  // The measuring modules load only now: --help and bad options answer at once.
  const [{ buildFunctions }, { measureColdStart }, { measureWarm }, { measureStsEconomy }, { measureMemory }] = await Promise.all([
    import('./build'),
    import('./bench/cold-start'),
    import('./bench/warm'),
    import('./bench/sts-economy'),
    import('./bench/memory'),
  ]);
  const started = performance.now();
  const date = new Date().toISOString();
  const facts = machine();
  const measured = source();
  const workDir = mkdtempSync(`${tmpdir()}/oss-tvm-bench-`);
  const results: Record<string, unknown> = {};
  const sections: string[] = [];
  const goals: Goal[] = [];
  try {
    log(`building the bundles into ${workDir}/dist …`);
    const bundles = await buildFunctions(`${workDir}/dist`);
    results['bundles'] = bundles.map(({ name, bytes }) => ({ name, bytes }));
    if (settings.parts.has('cold')) {
      log(`cold start: ${settings.runs} runs per variant …`);
      const cold = await measureColdStart(bundles, workDir, settings.runs, log);
      results['coldStart'] = cold;
      sections.push(coldStartSection(cold, goals));
    }
    if (settings.parts.has('warm')) {
      log(`warm throughput: ${settings.durationSeconds} s per server …`);
      const warm = await measureWarm(bundles, settings.durationSeconds, log);
      results['warm'] = warm;
      sections.push(warmSection(warm, goals));
    }
    if (settings.parts.has('sts')) {
      log('STS economy …');
      const sts = await measureStsEconomy(log);
      results['stsEconomy'] = sts;
      sections.push(stsSection(sts, goals));
    }
    if (settings.parts.has('memory')) {
      log(`memory: ${settings.identities} identities …`);
      const memory = await measureMemory(bundles, workDir, settings.identities, log);
      results['memory'] = memory;
      sections.push(memorySection(memory, goals));
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const totalSeconds = round((performance.now() - started) / 1000, 1);
  const machineLine = `${facts.cpuModel} × ${facts.cpuCount}, ${facts.totalMemoryGiB} GiB, ${facts.os}, Node.js ${facts.node}`;
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  console.log([
    `## oss-tvm benchmark, ${date}`,
    '',
    `Machine: ${machineLine}. Command: \`${command}\` at ${measured.commit}${measured.modified ? ' (with uncommitted changes)' : ''}. Took ${totalSeconds} s.`,
    '',
    sections.join('\n\n'),
    '',
    `Goals: ${goals.filter((goal) => goal.pass).length} PASS, ${goals.filter((goal) => !goal.pass).length} MISS${goals.some((goal) => !goal.pass) ? ` (${goals.filter((goal) => !goal.pass).map((goal) => goal.name).join('; ')})` : ''}.`,
  ].join('\n'));
  const document = { date, command, source: measured, machine: facts, options: { durationSeconds: settings.durationSeconds, runs: settings.runs, parts: [...settings.parts], identities: settings.identities }, totalSeconds, goals, ...results };
  writeFileSync(settings.out, `${JSON.stringify(document, null, 2)}\n`);
  log(`wrote ${settings.out.startsWith(root) ? settings.out.slice(root.length) : settings.out}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
