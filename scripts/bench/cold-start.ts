/**
 * Cold start: wall time from spawn to exit of a fresh `node` that loads a function's bundle and
 * answers one request through its handler (against the STS emulator, in this process), divided by
 * the same for a fresh `node` that loads an empty file. Runs are interleaved (each round runs every
 * variant once, in a rotating order) and medians are compared.
 *
 * The web profile is a server: a fresh `node dist/web/server.js`, as the custom runtime starts it,
 * polled until its port accepts connections (as FC waits for it), then sent one vend-token request
 * with FC's headers; its time is spawn to that answer. Beside it, a bare node:http server measured
 * the same way shows what any server costs.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import {
  AUDIENCE, type BenchRequest, ISSUER, type FunctionName, childEnvironment, fcHeaders, functionRequest, functionSettings, httpEvent, median, root, round,
  stopChild, waitForPort,
} from './common';
import { freePort } from '../../local/listen';

/** A bundle built by buildFunctions. */
export interface Bundle {
  name: string;
  file: string;
  bytes: number;
}

/** One measured variant. */
export interface ColdStartRow {
  label: string;
  function?: FunctionName;
  /** How the child gets the identity provider's key. */
  keySource?: 'TVM_JWT_PUBLIC_KEY' | 'TVM_JWKS_URL';
  bundleBytes?: number;
  /** A server (the web profile, or the bare one): its wall time is spawn to the first answer, it does not exit. */
  server?: 'web' | 'bare';
  /** Median wall time, spawn to exit (servers: to the first answer), ms. */
  wallMs: number;
  /** Servers: wallMs divided by the bare node:http server's. */
  ratioToBareServer?: number;
  /** wallMs divided by the empty-file baseline's. */
  ratio: number;
  /**
   * Median time from spawn until the child's answer reached this process, ms: what an app waits
   * for, without the process's exit (which can wait for V8's background compilation jobs).
   */
  answerMs?: number;
  /** answerMs divided by the empty-file baseline's wallMs. */
  answerRatio?: number;
  /** Medians measured inside the child: process start to the first line of the script, `require` of the bundle, the first request. */
  bootMs?: number;
  requireMs?: number;
  firstRequestMs?: number;
  samplesMs: number[];
}

export interface ColdStartResult {
  runs: number;
  rows: ColdStartRow[];
}

interface Variant {
  label: string;
  server?: 'web' | 'bare';
  function?: FunctionName;
  keySource?: ColdStartRow['keySource'];
  bundle?: Bundle;
  file: string;
  env: () => Record<string, string>;
  wall: number[];
  answer: number[];
  boot: number[];
  require: number[];
  firstRequest: number[];
}

interface ChildReport {
  bootMs: number;
  requireMs: number;
  firstRequestMs: number;
  status: number;
  errorCode?: string;
}

const CHILD = `${root}scripts/bench/cold-start-child.cjs`;
const BARE_SERVER = `${root}scripts/bench/bare-server.cjs`;
const WARMUP_ROUNDS = 2;

export async function measureColdStart(bundles: Bundle[], workDir: string, runs: number, log: (line: string) => void): Promise<ColdStartResult> {
  const sts = await StsEmulator.start({ latencyMs: 0 });
  const issuer = await createDemoIssuer(ISSUER, AUDIENCE);
  const jwksServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  try {
    const credentials = sts.createFunctionCredentials();
    const target = { url: sts.url, roleArn: sts.defaultRoleArn };
    const token = await issuer.issue('alice', 24 * 3600);
    const empty = `${workDir}/empty.cjs`;
    writeFileSync(empty, '');
    const context = JSON.stringify({ requestId: 'bench-cold-start', credentials, region: 'cn-hangzhou' });
    const childEnv = (name: FunctionName, bundle: string, jwks: boolean): Record<string, string> => ({
      ...functionSettings(target, issuer, jwks ? jwksUrl : undefined),
      BENCH_BUNDLE: bundle,
      BENCH_CONTEXT: context,
      // A fresh date each run: sign-request refuses a string-to-sign more than 300 s off.
      BENCH_EVENT: httpEvent(functionRequest(name, token, 'alice')).toString('utf8'),
    });
    const variant = (label: string, file: string, env: () => Record<string, string>, extra: Partial<Variant> = {}): Variant =>
      ({ label, file, env, wall: [], answer: [], boot: [], require: [], firstRequest: [], ...extra });
    const byName = new Map(bundles.map((bundle) => [bundle.name, bundle]));
    const variants: Variant[] = [variant('node, empty file (baseline)', empty, () => childEnv('vend-token', empty, false))];
    for (const name of ['vend-token', 'sign-request'] as const) {
      const bundle = byName.get(name);
      if (!bundle) throw new Error(`no bundle for ${name}`);
      variants.push(variant(name, CHILD, () => childEnv(name, bundle.file, false), { function: name, keySource: 'TVM_JWT_PUBLIC_KEY', bundle }));
    }
    const vendToken = byName.get('vend-token') as Bundle;
    variants.push(variant('vend-token, key from a JWKS URL', CHILD, () => childEnv('vend-token', vendToken.file, true), { function: 'vend-token', keySource: 'TVM_JWKS_URL', bundle: vendToken }));
    const web = byName.get('web');
    if (!web) throw new Error('no bundle for the web profile');
    const serverEnv = (): Record<string, string> => functionSettings(target, issuer);
    variants.push(variant('bare node:http server, first answer', BARE_SERVER, serverEnv, { server: 'bare' }));
    variants.push(variant('web profile: server.js, first vend-token answer', web.file, serverEnv, { server: 'web', function: 'vend-token', keySource: 'TVM_JWT_PUBLIC_KEY', bundle: web }));
    const webRequest = (): BenchRequest => {
      const request = functionRequest('vend-token', token, 'alice');
      return { ...request, headers: { ...request.headers, ...fcHeaders(credentials, 'bench-cold-start') } };
    };

    for (let pass = 0; pass < WARMUP_ROUNDS + runs; pass++) {
      const order = variants.map((_, index) => variants[(index + pass) % variants.length] as Variant);
      for (const current of order) {
        if (current.server) {
          const answered = await runServer(current.file, current.env(), '/vend-token', webRequest());
          if (pass >= WARMUP_ROUNDS) current.wall.push(answered);
          continue;
        }
        const { wallMs, answerMs, report } = await runChild(current.file, current.env());
        if (pass < WARMUP_ROUNDS) continue;
        current.wall.push(wallMs);
        if (report && answerMs !== undefined) {
          current.answer.push(answerMs);
          current.boot.push(report.bootMs);
          current.require.push(report.requireMs);
          current.firstRequest.push(report.firstRequestMs);
        }
      }
      if (pass >= WARMUP_ROUNDS && (pass - WARMUP_ROUNDS + 1) % 5 === 0) log(`  cold start: ${pass - WARMUP_ROUNDS + 1}/${runs} rounds`);
    }
    const baseline = median((variants[0] as Variant).wall);
    const bareServer = median(variants.find((current) => current.server === 'bare')?.wall ?? []);
    return {
      runs,
      rows: variants.map((current) => ({
        label: current.label,
        ...(current.server ? { server: current.server, ratioToBareServer: round(median(current.wall) / bareServer, 3) } : {}),
        ...(current.function ? { function: current.function } : {}),
        ...(current.keySource ? { keySource: current.keySource } : {}),
        ...(current.bundle ? { bundleBytes: current.bundle.bytes } : {}),
        wallMs: round(median(current.wall), 1),
        ratio: round(median(current.wall) / baseline, 3),
        ...(current.answer.length > 0 ? { answerMs: round(median(current.answer), 1), answerRatio: round(median(current.answer) / baseline, 3) } : {}),
        ...(current.boot.length > 0
          ? { bootMs: round(median(current.boot), 1), requireMs: round(median(current.require), 1), firstRequestMs: round(median(current.firstRequest), 1) }
          : {}),
        samplesMs: current.wall.map((value) => round(value, 1)),
      })),
    };
  } finally {
    await new Promise<void>((resolve) => {
      jwksServer.close(() => resolve());
      jwksServer.closeAllConnections();
    });
    await sts.close();
  }
}

/**
 * Spawns `node <file>`, a server listening on FC_SERVER_PORT, waits for its port as Function Compute
 * does, sends it `request` at `path` and resolves with the time from spawn to the whole answer; the
 * answer must be 200. The server is stopped afterwards.
 */
async function runServer(file: string, env: Record<string, string>, path: string, request: BenchRequest): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [file], { cwd: root, env: childEnvironment({ ...env, FC_SERVER_PORT: String(port) }), stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForPort(port, child);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, method: request.method, path, headers: request.headers }, (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
      });
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
    const answered = performance.now() - started;
    if (status !== 200) throw new Error(`cold-start server ${file} answered ${status}`);
    return answered;
  } finally {
    await stopChild(child);
  }
}

/**
 * Spawns `node <file>`, resolves with the wall time from spawn to exit, from spawn to the arrival of
 * the child's report (written as soon as the handler answered), and the report, if any.
 */
function runChild(file: string, env: Record<string, string>): Promise<{ wallMs: number; answerMs?: number; report?: ChildReport }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [file], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let exitedAt = 0;
    let answeredAt: number | undefined;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (answeredAt === undefined && stdout.includes('BENCH_RESULT ')) answeredAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', () => (exitedAt = performance.now()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
      const report = line === undefined ? undefined : (JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildReport);
      if (code !== 0) {
        reject(new Error(`cold-start child for ${file} exited ${code}: ${report ? `HTTP ${report.status} ${report.errorCode ?? ''}` : stderr.trim()}`));
        return;
      }
      resolve({ wallMs: exitedAt - started, ...(report && answeredAt !== undefined ? { answerMs: answeredAt - started, report } : {}) });
    });
  });
}
