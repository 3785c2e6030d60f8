/**
 * The fault suite's harness: an STS emulator on a clock the test can move ahead, a demo identity
 * provider with a token per identity, both real handlers, a driver that fires concurrent bursts of
 * requests and times every one of them against the function timeout, recorders that see each
 * logical STS request (a "flight" of the credential provider) and each HTTP attempt it makes (a
 * proxy in front of the emulator), and the checks every single response must pass.
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import { createVendTokenHandler } from '../../functions/vend-token/create-handler';
import { TvmError } from '../../shared/errors';
import type { HttpResponse } from '../../shared/http/message';
import type { FcHttpHandler } from '../../shared/http/fc-event';
import { createLogger } from '../../shared/log';
import { type AccessCredentials, type AssumeRoleClient, type AssumeRoleInput, type AssumeRoleResult, StsClient } from '../../shared/sts/sts-client';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { type StsFault, StsEmulator } from '../../local/sts-emulator';
import type { FaultCall } from '../../local/sts-emulator/faults';
import { bearer, httpEvent } from '../helpers/fc-events';
import { functionEnvironment } from '../helpers/function-environment';
import { listen } from '../../local/listen';

/** The function timeout of both functions in s.yaml. */
export const FUNCTION_TIMEOUT_MS = 10_000;

/** The two functions under test. */
export type FunctionName = 'vend-token' | 'sign-request';

/** A fault the emulator injects, with the refusal the functions document for it. */
export interface FaultCase {
  readonly name: string;
  readonly fault: StsFault;
  /** `"<status> <ErrorCode>"`. */
  readonly refusal: '503 StsThrottled' | '503 StsUnavailable' | '502 StsInvalidResponse';
  /** Whether the STS client retries it. */
  readonly retried: boolean;
}

/** Every fault the emulator injects; `slowDelayMs` must exceed the attempt timeout in use. */
export function faultCases(slowDelayMs: number): FaultCase[] {
  return [
    { name: 'throttling', fault: { kind: 'throttle' }, refusal: '503 StsThrottled', retried: true },
    { name: 'HTTP 500', fault: { kind: 'server-error', status: 500 }, refusal: '503 StsUnavailable', retried: true },
    { name: 'HTTP 503', fault: { kind: 'server-error', status: 503 }, refusal: '503 StsUnavailable', retried: true },
    { name: 'a reply slower than the attempt timeout', fault: { kind: 'slow', delayMs: slowDelayMs }, refusal: '503 StsUnavailable', retried: true },
    { name: 'a hanging connection', fault: { kind: 'hang' }, refusal: '503 StsUnavailable', retried: true },
    { name: 'a connection reset', fault: { kind: 'reset' }, refusal: '503 StsUnavailable', retried: true },
    { name: 'malformed JSON', fault: { kind: 'malformed-json' }, refusal: '502 StsInvalidResponse', retried: false },
    { name: 'a wrong content type', fault: { kind: 'wrong-content-type' }, refusal: '502 StsInvalidResponse', retried: false },
  ];
}

/**
 * Fault draws (the emulator's `random`) fixed by `seed`: each RoleSessionName has its own sequence,
 * a hash of the seed, the name and the call's place in that sequence. Which calls of a caller fail
 * is then the same on every run, whatever order concurrent requests reach STS in, so a scenario
 * "half the calls fail" always has callers that fail every attempt and callers that recover.
 *
 * @example
 * ```ts
 * rig.sts.setFault({ kind: 'throttle' }, { probability: 0.5, random: seededDraws('throttle') });
 * ```
 */
export function seededDraws(seed: string): (call: FaultCall) => number {
  const calls = new Map<string, number>();
  return ({ roleSessionName }) => {
    const index = calls.get(roleSessionName) ?? 0;
    calls.set(roleSessionName, index + 1);
    return createHash('sha256').update(`${seed}\n${roleSessionName}\n${index}`).digest().readUIntBE(0, 6) / 2 ** 48;
  };
}

/** Identities `<prefix>0` … `<prefix><count-1>`. */
export function identities(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${index}`);
}

/** An STS emulator whose clock can run ahead of real time, a demo issuer and a token per identity. */
export interface Rig {
  readonly sts: StsEmulator;
  readonly issuer: DemoIssuer;
  readonly functionCredentials: Required<AccessCredentials>;
  /** A valid JWT for each identity the rig was started with. */
  tokenOf(identity: string): string;
  /**
   * Moves STS's clock `ms` ahead of real time (under STS's 15-minute window for request
   * timestamps), so that what it issues expires that much later: as sign-request.test.ts's
   * `timeTravel` does, to keep STS in step with a handler clock moved ahead.
   */
  setStsLead(ms: number): void;
  close(): Promise<void>;
}

/** Options of {@link startRig}. */
export interface RigOptions {
  /** STS's clock; default real time moved ahead by {@link Rig.setStsLead}. */
  readonly now?: () => number;
}

/** Starts a {@link Rig} with tokens for `subjects`. */
export async function startRig(subjects: readonly string[], options: RigOptions = {}): Promise<Rig> {
  let leadMs = 0;
  const sts = await StsEmulator.start({ now: options.now ?? (() => Date.now() + leadMs) });
  const issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-test');
  const tokens = new Map<string, string>();
  for (const subject of subjects) tokens.set(subject, await issuer.issue(subject));
  return {
    sts,
    issuer,
    functionCredentials: sts.createFunctionCredentials(),
    tokenOf(identity) {
      const token = tokens.get(identity);
      if (token === undefined) throw new Error(`no token for ${identity}`);
      return token;
    },
    setStsLead(ms) {
      leadMs = ms;
    },
    close: () => sts.close(),
  };
}

/** Both handlers of one function instance pair, with their log lines. */
export interface Functions {
  readonly vend: FcHttpHandler;
  readonly sign: FcHttpHandler;
  readonly logLines: string[];
}

/** Options of {@link createFunctions}. */
export interface FunctionsOptions {
  /** The STS client; default: none injected, so the handlers build the product's default one. */
  readonly sts?: AssumeRoleClient;
  /** The handlers' clock (the credential cache and sign-request's Date check). */
  readonly now?: () => number;
  readonly environment?: Record<string, string>;
}

/** A fresh vend-token and a fresh sign-request handler (each with its own, empty cache). */
export function createFunctions(rig: Rig, options: FunctionsOptions = {}): Functions {
  const logLines: string[] = [];
  const handlerOptions = {
    logger: createLogger((line) => logLines.push(line)),
    ...(options.sts === undefined ? {} : { sts: options.sts }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  const environment = functionEnvironment(rig.sts, rig.issuer, options.environment);
  return {
    vend: createVendTokenHandler(environment, handlerOptions),
    sign: createSignRequestHandler(environment, handlerOptions),
    logLines,
  };
}

/** One logical AssumeRole of the credential provider, as the client it was given saw it. */
export interface Flight {
  readonly session: string;
  readonly startedAt: number;
  endedAt: number;
  /** `ok`, or the error code it failed with. */
  outcome: string;
}

/** An {@link AssumeRoleClient} that records each logical STS request before passing it on. */
export class FlightRecorder implements AssumeRoleClient {
  readonly flights: Flight[] = [];

  constructor(private readonly inner: AssumeRoleClient) {}

  async assumeRole(caller: AccessCredentials, input: AssumeRoleInput): Promise<AssumeRoleResult> {
    const flight: Flight = { session: input.roleSessionName, startedAt: performance.now(), endedAt: Number.NaN, outcome: 'pending' };
    this.flights.push(flight);
    try {
      const result = await this.inner.assumeRole(caller, input);
      flight.outcome = 'ok';
      return result;
    } catch (error) {
      flight.outcome = error instanceof TvmError ? error.code : `not a TvmError: ${String(error)}`;
      throw error;
    } finally {
      flight.endedAt = performance.now();
    }
  }
}

/** One HTTP attempt of the STS client, as the {@link AttemptRecorder} between it and STS saw it. */
export interface Attempt {
  /** The RoleSessionName sent (the identity, for the identities of these tests). */
  session: string;
  /** When the request arrived. */
  readonly startedAt: number;
  /** When it was answered, given up by the client, or dropped by STS. */
  settledAt: number;
  /** STS's HTTP status; `abandoned` when the client gave up waiting; `dropped` when STS closed the connection. */
  outcome: string;
}

/**
 * A loopback HTTP proxy in front of the STS emulator that records every request passing through
 * (each HTTP attempt of the STS client, whatever transport the client uses) and forwards faults
 * faithfully: a client giving up closes the connection to STS, and STS dropping a connection
 * drops the client's.
 */
export interface AttemptRecorder {
  readonly url: string;
  readonly attempts: readonly Attempt[];
  close(): Promise<void>;
}

/** Starts an {@link AttemptRecorder} forwarding to `target` (an `http://` base URL). */
export async function startAttemptRecorder(target: string): Promise<AttemptRecorder> {
  const attempts: Attempt[] = [];
  const upstreamAgent = new HttpAgent({ keepAlive: false });
  const server = createServer((incoming, outgoing) => {
    const attempt: Attempt = { session: '', startedAt: performance.now(), settledAt: Number.NaN, outcome: 'pending' };
    attempts.push(attempt);
    const settle = (outcome: string): void => {
      if (attempt.outcome !== 'pending') return;
      attempt.outcome = outcome;
      attempt.settledAt = performance.now();
    };
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('error', () => undefined);
    outgoing.on('error', () => undefined);
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      attempt.session = new URLSearchParams(body.toString('utf8')).get('RoleSessionName') ?? '';
      const headers: Record<string, string> = { 'content-length': String(body.length) };
      for (const name of ['content-type', 'accept']) {
        const value = incoming.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = httpRequest(`${target}${incoming.url ?? '/'}`, { method: incoming.method, headers, agent: upstreamAgent }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.on('error', () => outgoing.destroy());
        outgoing.on('finish', () => settle(String(answer.statusCode)));
      });
      upstream.on('error', () => {
        settle('dropped');
        incoming.socket.destroy();
      });
      outgoing.on('close', () => {
        if (outgoing.writableFinished) return;
        settle('abandoned');
        upstream.destroy();
      });
      upstream.end(body);
    });
  });
  await listen(server, '127.0.0.1', 0);
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        upstreamAgent.destroy();
      });
      return closed;
    },
  };
}

/** Waits (up to 2 s) until the recorder has seen how each attempt so far ended. */
export async function attemptsSettled(recorder: AttemptRecorder): Promise<void> {
  for (let waited = 0; waited < 2000 && recorder.attempts.some((attempt) => attempt.outcome === 'pending'); waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The attempts made during `flight`. */
export function attemptsOf(flight: Flight, attempts: readonly Attempt[]): Attempt[] {
  return attempts.filter((attempt) => attempt.session === flight.session && attempt.startedAt >= flight.startedAt && attempt.startedAt <= flight.endedAt);
}

/**
 * Registers a listener for unhandled rejections and uncaught exceptions for the whole file, and
 * fails each test during which one happened.
 */
export function failOnProcessErrors(): void {
  const seen: string[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(`unhandledRejection: ${describeThrown(reason)}`);
  };
  const onException = (error: Error): void => {
    seen.push(`uncaughtException: ${describeThrown(error)}`);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  });
  afterEach(async () => {
    // Let rejections of promises nobody awaited surface before judging.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.splice(0), 'unhandled rejections or uncaught exceptions during the test').toEqual([]);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });
}

function describeThrown(thrown: unknown): string {
  return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
}

/** An RFC 1123 date, as the SDKs put on the Date line. */
const rfc1123 = (ms: number): string => new Date(ms).toUTCString();

/** A content for sign-request, and what sign-request must sign for it once it binds `token` (written out by hand). */
export interface SignContent {
  readonly stringToSign: string;
  signedWith(token: string): string;
}

/** A PutObject of `users/<identity>/a.jpg` dated `now`: the token goes in as an x-oss header line. */
export function putObject(identity: string, now: number): SignContent {
  const head = `PUT\n\nimage/jpeg\n${rfc1123(now)}\nx-oss-meta-owner:${identity}\n`;
  const resource = `/photos/users/${identity}/a.jpg`;
  return { stringToSign: `${head}${resource}`, signedWith: (token) => `${head}x-oss-security-token:${token}\n${resource}` };
}

/** A presigned GetObject URL of `users/<identity>/a.jpg` expiring at `expiresMs`: the token goes in as a sub-resource. */
export function presignedGet(identity: string, expiresMs: number): SignContent {
  const stringToSign = `GET\n\n\n${Math.floor(expiresMs / 1000)}\n/photos/users/${identity}/a.jpg`;
  return { stringToSign, signedWith: (token) => `${stringToSign}?security-token=${token}` };
}

/** One request and how it went. */
export interface Outcome {
  readonly fn: FunctionName;
  readonly identity: string;
  readonly requestId: string;
  /** The handler's clock when the request was made. */
  readonly now: number;
  /** What was sent to sign-request. */
  readonly content?: SignContent;
  /** Undefined when no answer came within the function timeout. */
  readonly response: HttpResponse | undefined;
  /** Set when the handler rejected instead of answering. */
  readonly thrown?: string;
  readonly elapsedMs: number;
}

let requestCounter = 0;

/** Options of {@link request}. */
export interface RequestOptions {
  /** The handler's clock when the request is made; default real time. */
  readonly now?: number;
  /** The function role's credentials in the FC context; default the rig's. */
  readonly credentials?: AccessCredentials;
  /** What to ask sign-request to sign; default a PutObject dated `now`. */
  readonly content?: SignContent;
}

/** Sends one request of `identity` to `fn` as FC would, and times it against the function timeout. */
export async function request(rig: Rig, functions: Functions, fn: FunctionName, identity: string, options: RequestOptions = {}): Promise<Outcome> {
  const now = options.now ?? Date.now();
  const requestId = `req-${fn}-${identity}-${(requestCounter += 1)}`;
  const headers = bearer(rig.tokenOf(identity));
  const content = fn === 'sign-request' ? (options.content ?? putObject(identity, now)) : undefined;
  const event =
    content === undefined
      ? httpEvent({ headers })
      : httpEvent({ method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: content.stringToSign });
  const handler = fn === 'vend-token' ? functions.vend : functions.sign;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), FUNCTION_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([handler(event, { requestId, credentials: options.credentials ?? rig.functionCredentials }), timedOut]);
    return { fn, identity, requestId, now, ...(content ? { content } : {}), response: result === 'timed out' ? undefined : result, elapsedMs: performance.now() - started };
  } catch (error) {
    return { fn, identity, requestId, now, ...(content ? { content } : {}), response: undefined, thrown: describeThrown(error), elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** What one burst sends. */
export interface BurstOptions {
  /** Requests per handler, spread round-robin over that handler's identities. */
  readonly perFunction: number;
  readonly vendIdentities: readonly string[];
  readonly signIdentities: readonly string[];
  /** The handlers' clock; default real time. */
  readonly now?: () => number;
  /** The function role's credentials in the FC context; default the rig's. */
  readonly credentials?: AccessCredentials;
}

/** Fires every request of both handlers at once, interleaved, and waits for all the answers. */
export function burst(rig: Rig, functions: Functions, options: BurstOptions): Promise<Outcome[]> {
  const now = options.now ?? Date.now;
  const credentials = options.credentials ?? rig.functionCredentials;
  const calls: Promise<Outcome>[] = [];
  for (let index = 0; index < options.perFunction; index++) {
    calls.push(request(rig, functions, 'vend-token', pick(options.vendIdentities, index), { now: now(), credentials }));
    calls.push(request(rig, functions, 'sign-request', pick(options.signIdentities, index), { now: now(), credentials }));
  }
  return Promise.all(calls);
}

/**
 * Two healthy bursts through throwaway instances with a patient STS client, so that the first
 * scenario of a file is not judged on a cold process (JIT, first sockets), where a loopback
 * answer can take more than a second on a busy machine.
 */
export async function warmUp(rig: Rig, options: BurstOptions): Promise<void> {
  for (let round = 0; round < 2; round++) {
    const outcomes = await burst(rig, createFunctions(rig, { sts: new StsClient({ endpoint: rig.sts.url, attemptTimeoutMs: 5000 }) }), options);
    expect(outcomes.map(resultOf)).toEqual(outcomes.map(() => '200'));
  }
  await quiesce(rig);
}

/**
 * Waits until STS has seen no new AssumeRole call for 30 ms: a request the client gave up on
 * may reach the emulator's handler only after the client's next request was sent.
 */
export async function quiesce(rig: Rig): Promise<void> {
  for (let seen = -1; seen !== rig.sts.assumeRoleCalls; ) {
    seen = rig.sts.assumeRoleCalls;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

function pick(list: readonly string[], index: number): string {
  const item = list[index % list.length];
  if (item === undefined) throw new Error('no identities');
  return item;
}

/** Markers of a stack trace or of STS's own body leaking into a response. */
const LEAKS: readonly RegExp[] = [
  /\bat .+:\d+:\d+/, /\n\s+at /, /Error:/, /TypeError|DOMException|TimeoutError|AbortError|ECONNRESET|fetch failed|other side closed/,
  /HostId|sts\.aliyuncs\.com|Throttling\.User|ServiceUnavailable|"Code"|"Message"|"Credentials"/,
  /<html|Bad Gateway/i, /[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/,
];

/**
 * What is wrong with one outcome, as readable lines (none when it is right): it must have come
 * within the function timeout, and be either a correct 200 (credentials STS really issued for
 * this very identity) or one of `refusals` (`"<status> <ErrorCode>"`) with the documented body.
 */
export function problemsOf(rig: Rig, outcome: Outcome, refusals: readonly string[]): string[] {
  const where = `${outcome.requestId} (${Math.round(outcome.elapsedMs)} ms)`;
  if (outcome.thrown !== undefined) return [`${where}: the handler threw ${outcome.thrown}`];
  const response = outcome.response;
  if (response === undefined) return [`${where}: no answer within the function timeout`];
  const problems: string[] = [];
  if (outcome.elapsedMs >= FUNCTION_TIMEOUT_MS) problems.push(`${where}: answered after the function timeout`);
  if (response.statusCode === 200) problems.push(...successProblems(rig, outcome, response));
  else problems.push(...refusalProblems(outcome, response, refusals));
  return problems.map((problem) => (problem.startsWith(where) ? problem : `${where}: ${problem}`));
}

function successProblems(rig: Rig, outcome: Outcome, response: HttpResponse): string[] {
  const problems: string[] = [];
  if (outcome.fn === 'vend-token') {
    const body = parseJson(response.body);
    const issued = rig.sts.findIssued(String(body?.['AccessKeyId']));
    if (!issued) return [`200 with credentials STS never issued: ${response.body.slice(0, 80)}`];
    if (issued.roleSessionName !== outcome.identity) problems.push(`200 with credentials issued to ${issued.roleSessionName}`);
    if (body?.['StatusCode'] !== 200 || body['AccessKeySecret'] !== issued.issued.accessKeySecret || body['SecurityToken'] !== issued.issued.securityToken || body['Expiration'] !== issued.issued.expiration) {
      problems.push('200 whose credentials do not match what STS issued');
    }
    if (body?.['Prefix'] !== `users/${outcome.identity}/`) problems.push(`200 for prefix ${String(body?.['Prefix'])}`);
    return problems;
  }
  const match = /^OSS (STS\.[^:]+):([A-Za-z0-9+/]+=*)$/.exec(response.body);
  const issued = match ? rig.sts.findIssued(match[1] ?? '') : undefined;
  if (!match || !issued) return [`200 that is not a signature by credentials STS issued: ${response.body.slice(0, 80)}`];
  if (issued.roleSessionName !== outcome.identity) problems.push(`signed with credentials issued to ${issued.roleSessionName}`);
  const token = issued.issued.securityToken;
  if (response.headers['x-oss-security-token'] !== token) problems.push('200 without the signing credentials’ token');
  const signed = outcome.content?.signedWith(token) ?? '';
  const expected = createHmac('sha1', issued.issued.accessKeySecret).update(signed, 'utf8').digest('base64');
  if (match[2] !== expected) problems.push('200 with a wrong signature');
  return problems;
}

function refusalProblems(outcome: Outcome, response: HttpResponse, refusals: readonly string[]): string[] {
  const problems: string[] = [];
  const body = parseJson(response.body);
  const refusal = `${response.statusCode} ${String(body?.['ErrorCode'])}`;
  if (!refusals.includes(refusal)) problems.push(`answered ${refusal}, expected 200 or ${refusals.join(' or ')}: ${response.body.slice(0, 200)}`);
  if (!response.headers['Content-Type']?.startsWith('application/json')) problems.push(`a refusal as ${String(response.headers['Content-Type'])}`);
  const keys = body === undefined ? [] : Object.keys(body);
  if (keys.join() !== 'StatusCode,ErrorCode,ErrorMessage,RequestId') problems.push(`a refusal body with fields ${keys.join()}`);
  if (body?.['StatusCode'] !== response.statusCode) problems.push('StatusCode differs from the HTTP status');
  if (typeof body?.['ErrorMessage'] !== 'string' || body['ErrorMessage'] === '') problems.push('no ErrorMessage');
  if (body?.['RequestId'] !== outcome.requestId) problems.push(`RequestId ${String(body?.['RequestId'])}`);
  if ((response.statusCode === 503 || response.statusCode === 429) && !/^[1-9]\d*$/.test(response.headers['Retry-After'] ?? '')) problems.push(`a ${response.statusCode} without Retry-After in seconds`);
  const leak = LEAKS.find((pattern) => pattern.test(response.body));
  if (leak) problems.push(`a body showing ${leak}: ${response.body}`);
  return problems;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Asserts every outcome passes {@link problemsOf}, listing all that do not. */
export function expectAllAnswered(rig: Rig, outcomes: readonly Outcome[], refusals: readonly string[]): void {
  expect(outcomes.flatMap((outcome) => problemsOf(rig, outcome, refusals))).toEqual([]);
}

/** `"<status> <ErrorCode>"` of a response, `"200"` for a success. */
export function resultOf(outcome: Outcome): string {
  const response = outcome.response;
  if (response === undefined) return 'no answer';
  if (response.statusCode === 200) return '200';
  return `${response.statusCode} ${String(parseJson(response.body)?.['ErrorCode'])}`;
}

/** The AccessKeyId a 200 carried (either function), else undefined. */
export function accessKeyIdOf(outcome: Outcome): string | undefined {
  const response = outcome.response;
  if (response?.statusCode !== 200) return undefined;
  if (outcome.fn === 'vend-token') return String(parseJson(response.body)?.['AccessKeyId']);
  return /^OSS ([^:]+):/.exec(response.body)?.[1];
}

/** How many of `items` fall into each key, sorted by key, for readable assertions. */
export function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const name = key(item);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Takes the log lines written since the last call: asserts there is exactly one per request and
 * none reports an unexpected failure, and returns them parsed.
 */
export function expectOneLogLinePerRequest(functions: Functions, requests: number): Record<string, unknown>[] {
  const lines = functions.logLines.splice(0).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.filter((line) => line['message'] === 'request')).toHaveLength(requests);
  expect(lines.filter((line) => line['level'] === 'error' || line['errorCode'] === 'InternalError')).toEqual([]);
  return lines;
}
