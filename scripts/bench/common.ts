/**
 * What the benchmark's parts share: the functions' settings against the sandbox STS and a demo
 * identity provider, the requests each function answers, child processes and small statistics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DemoIssuer } from '../../local/demo-issuer';
import { isoSeconds } from '../../shared/time';

/** The project root, with a trailing slash. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The functions the benchmark measures, as named in functions/ and dist/. */
export const FUNCTIONS = ['vend-token', 'sign-request'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export const ISSUER = 'https://id.bench.example/';
export const AUDIENCE = 'oss-tvm-bench';
export const BUCKET = 'photos';

/** Function role credentials, as FC passes them in `context.credentials`. */
export interface FunctionCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

/** Where STS is and which role to assume. */
export interface StsTarget {
  url: string;
  roleArn: string;
}

/**
 * The TVM_* settings the functions run with, as FC would set them: STS at `sts`, tokens verified
 * with the issuer's RS256 public key (TVM_JWT_PUBLIC_KEY, a JSON JWK), or fetched from `jwksUrl`.
 */
export function functionSettings(sts: StsTarget, issuer: DemoIssuer, jwksUrl?: string): Record<string, string> {
  return {
    TVM_ROLE_ARN: sts.roleArn,
    TVM_BUCKET: BUCKET,
    TVM_REGION: 'cn-hangzhou',
    TVM_STS_ENDPOINT: sts.url,
    TVM_JWT_ISSUER: issuer.issuer,
    TVM_JWT_AUDIENCE: issuer.audience,
    ...(jwksUrl === undefined ? { TVM_JWT_PUBLIC_KEY: JSON.stringify(issuer.jwks.keys[0]) } : { TVM_JWKS_URL: jwksUrl }),
  };
}

/** An RFC 1123 GMT date, as the OSS V1 string-to-sign carries it. */
export function rfc1123(ms = Date.now()): string {
  return new Date(ms).toUTCString();
}

/** The V1 string-to-sign of an upload of `users/<subject>/a.jpg`, which the default scope allows. */
export function stringToSign(subject: string, date: string): string {
  return `PUT\n\nimage/jpeg\n${date}\n/${BUCKET}/users/${subject}/a.jpg`;
}

/** An HTTP request a function answers. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** The typical request of `name` for a caller holding `token` (for `subject`). */
export function functionRequest(name: FunctionName, token: string, subject: string, date = rfc1123()): BenchRequest {
  const authorization = `Bearer ${token}`;
  return name === 'vend-token'
    ? { method: 'GET', headers: { authorization } }
    : { method: 'POST', headers: { authorization, 'content-type': 'text/plain; charset=utf-8' }, body: stringToSign(subject, date) };
}

/** The FC 3.0 HTTP trigger event (v1) of `request`, as the Buffer FC hands the handler. */
export function httpEvent(request: BenchRequest, requestId = 'bench-request'): Buffer {
  const now = new Date();
  return Buffer.from(JSON.stringify({
    version: 'v1',
    rawPath: '/',
    headers: request.headers,
    queryParameters: {},
    ...(request.body === undefined ? {} : { body: request.body, isBase64Encoded: false }),
    requestContext: {
      accountId: '1234567890123456',
      domainName: 'bench.cn-hangzhou.fcapp.run',
      domainPrefix: 'bench',
      http: { method: request.method, path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'oss-tvm-bench' },
      requestId,
      time: isoSeconds(now),
      timeEpoch: String(now.getTime()),
    },
  }));
}

/**
 * Environment for a child process: only PATH and `extra`, so nothing of the parent's (NODE_OPTIONS,
 * tsx's loader) changes what the child starts with.
 */
export function childEnvironment(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...extra };
}

/**
 * Starts `node --import tsx scripts/bench/<script>` with an IPC channel; its stdout goes to /dev/null
 * (the functions' JSON log lines land there), stderr to ours.
 */
export function spawnTsxChild(script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawnNode(['--import', 'tsx', `${root}scripts/bench/${script}`, ...args], env);
}

/** Starts `node <args>` like {@link spawnTsxChild}. */
export function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { cwd: root, env: childEnvironment(env), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

/** The next IPC message of `child` that has `type`; rejects if the child exits first. */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`child exited (${signal ?? code}) before sending "${type}"`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Ends a child started here and waits for it to go. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs `task(i)` for i in [from, to) with at most `concurrency` in flight. */
export async function runPool(from: number, to: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(0, to - from)) }, worker));
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Whether something accepts connections on `port` now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Resolves once `port` accepts connections, trying every millisecond, as Function Compute waits
 * for a custom runtime's port; rejects when `child` exits first or `timeoutMs` passes.
 */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.signalCode ?? child.exitCode}) before listening on ${port}`);
    if (performance.now() > deadline) throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The headers Function Compute adds to every request it forwards to a custom runtime. */
export function fcHeaders(credentials: FunctionCredentials, requestId = 'bench-request'): Record<string, string> {
  return {
    'x-fc-request-id': requestId,
    'x-fc-access-key-id': credentials.accessKeyId,
    'x-fc-access-key-secret': credentials.accessKeySecret,
    'x-fc-security-token': credentials.securityToken,
  };
}
