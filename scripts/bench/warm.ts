/**
 * Warm throughput and latency over loopback HTTP: autocannon (in this process) against a server in
 * a child process, 50 connections, `durationSeconds` each, after a warm-up that fills the credential
 * cache. Each function's requests per second are divided by those of a bare node:http server
 * measured in the same run (the mean of the bare runs just before and just after it).
 *
 * Both profiles: the event profile's bundles behind the sandbox's HTTP-to-FC-event bridge (on FC the
 * runtime does that part), and the web profile's server, `node dist/web/server.js` exactly as the
 * custom runtime starts it, sent FC's `x-fc-*` headers with every request.
 */
import { createRequire } from 'node:module';
import { createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import {
  AUDIENCE, type BenchRequest, type FunctionName, ISSUER, fcHeaders, functionRequest, functionSettings, nextMessage, rfc1123, round, spawnNode,
  spawnTsxChild, stopChild, waitForPort,
} from './common';
import { freePort } from '../../local/listen';
import type { Bundle } from './cold-start';

/** The part of autocannon 8's API used here (it ships no types). */
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  requests: { method: string; headers: Record<string, string>; body?: string }[];
}
interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export const CONNECTIONS = 50;
/** Identities whose tokens the load cycles through: each is a cache hit after the warm-up. */
const IDENTITIES = 8;

export interface WarmRow {
  label: string;
  function?: FunctionName;
  /** Which deployment profile serves the function. */
  profile?: 'event' | 'web';
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** requestsPerSecond divided by the bare server's (the mean of its two runs). */
  ratio?: number;
}

export interface WarmResult {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  identities: number;
  baselineRequestsPerSecond: number;
  rows: WarmRow[];
}

export async function measureWarm(bundles: Bundle[], durationSeconds: number, log: (line: string) => void): Promise<WarmResult> {
  const sts = await StsEmulator.start({ latencyMs: 0 });
  try {
    const issuer = await createDemoIssuer(ISSUER, AUDIENCE);
    const credentials = sts.createFunctionCredentials();
    const settings = functionSettings({ url: sts.url, roleArn: sts.defaultRoleArn }, issuer);
    const subjects = Array.from({ length: IDENTITIES }, (_, index) => `user-${index}`);
    const tokens = await Promise.all(subjects.map((subject) => issuer.issue(subject, 24 * 3600)));
    const requestsOf = (name: FunctionName | 'bare', extraHeaders: Record<string, string> = {}): BenchRequest[] => {
      const date = rfc1123();
      return subjects.map((subject, index) => {
        const request = functionRequest(name === 'bare' ? 'vend-token' : name, tokens[index] as string, subject, date);
        return { ...request, headers: { ...request.headers, ...extraHeaders } };
      });
    };
    const warmupSeconds = Math.max(1, Math.min(3, Math.round(durationSeconds / 5)));
    const bundleOf = (name: FunctionName | 'web'): Bundle => {
      const bundle = bundles.find((candidate) => candidate.name === name);
      if (!bundle) throw new Error(`no bundle for ${name}`);
      return bundle;
    };

    /** Starts the server under test; resolves with where to send requests and the child to stop. */
    const start = async (name: FunctionName | 'bare', profile: 'event' | 'web') => {
      if (profile === 'web' && name !== 'bare') {
        const port = await freePort();
        const child = spawnNode([bundleOf('web').file], { ...settings, FC_SERVER_PORT: String(port) });
        await waitForPort(port, child);
        return { child, url: `http://127.0.0.1:${port}/${name}`, requests: requestsOf(name, fcHeaders(credentials)) };
      }
      const args = name === 'bare' ? ['bare'] : [name, bundleOf(name).file];
      const child = spawnTsxChild('warm-server.ts', args, name === 'bare' ? {} : { ...settings, BENCH_FUNCTION_CREDENTIALS: JSON.stringify(credentials) });
      const { port } = await nextMessage<{ type: 'ready'; port: number }>(child, 'ready');
      // The bare server reads requests as large as the web function's, FC's headers included.
      return { child, url: `http://127.0.0.1:${port}/`, requests: name === 'bare' ? requestsOf(name, fcHeaders(credentials)) : requestsOf(name) };
    };

    const run = async (label: string, name: FunctionName | 'bare', profile: 'event' | 'web' = 'event'): Promise<WarmRow> => {
      const { child, url, requests } = await start(name, profile);
      try {
        // Fill the credential cache: one request per identity, each must succeed.
        for (const request of requests) {
          const response = await fetch(url, { method: request.method, headers: request.headers, ...(request.body === undefined ? {} : { body: request.body }) });
          const text = await response.text();
          if (response.status !== 200) throw new Error(`${label}: warm-up request answered ${response.status}: ${text.slice(0, 200)}`);
        }
        await autocannon({ url, connections: CONNECTIONS, duration: warmupSeconds, requests });
        const result = await autocannon({ url, connections: CONNECTIONS, duration: durationSeconds, requests });
        const row: WarmRow = {
          label,
          ...(name === 'bare' ? {} : { function: name, profile }),
          requestsPerSecond: round(result.requests.total / result.duration, 0),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        };
        log(`  warm: ${label}: ${row.requestsPerSecond} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms${row.non2xx + row.errors > 0 ? `, ${row.non2xx} non-2xx, ${row.errors} errors` : ''}`);
        return row;
      } finally {
        await stopChild(child);
      }
    };

    // Bare runs between the functions: on a shared machine the load drifts, so each function is
    // compared with the mean of the bare runs just before and just after it.
    const plan = [
      ...(['vend-token', 'sign-request'] as const).map((name) => ({ label: `${name}, event profile (FC event bridge)`, name, profile: 'event' as const })),
      ...(['vend-token', 'sign-request'] as const).map((name) => ({ label: `${name}, web profile (dist/web/server.js)`, name, profile: 'web' as const })),
    ];
    const rows: WarmRow[] = [await run('bare node:http', 'bare')];
    const bareRates: number[] = [rows[0]?.requestsPerSecond ?? Number.NaN];
    for (const { label, name, profile } of plan) {
      const row = await run(label, name, profile);
      const bare = await run('bare node:http', 'bare');
      row.ratio = round(row.requestsPerSecond / (((bareRates.at(-1) ?? Number.NaN) + bare.requestsPerSecond) / 2), 3);
      bareRates.push(bare.requestsPerSecond);
      rows.push(row, bare);
    }
    return {
      connections: CONNECTIONS,
      durationSeconds,
      warmupSeconds,
      identities: IDENTITIES,
      baselineRequestsPerSecond: round(bareRates.reduce((sum, rate) => sum + rate, 0) / bareRates.length, 0),
      rows,
    };
  } finally {
    await sts.close();
  }
}
