/**
 * An offline emulator of Alibaba Cloud STS (API 2015-04-01) for the `AssumeRole` action: a real HTTP(S)
 * server on loopback that checks what STS checks (common parameters, timestamp window, nonce reuse, the
 * RPC signature, security tokens, role, session name, duration and session-policy grammar) and answers in
 * STS's JSON shapes, so the product's own STS client is tested against something strict. It can also
 * inject the faults a real, overloaded or broken STS shows (throttling, 5xx, slowness, hangs, resets,
 * bodies that are not JSON).
 *
 * @example
 * ```ts
 * const sts = await StsEmulator.start();
 * const caller = sts.createFunctionCredentials();
 * // …point the STS client at sts.url with caller's credentials and sts.defaultRoleArn…
 * await sts.close();
 * ```
 */
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { rpcSignature } from '../shared/sts/rpc-signature';
import { listen } from './listen';

/** An access key pair a caller signs with; `securityToken` only for STS-type (temporary) keys. */
export interface EmulatorCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** A RAM role that exists in the emulated account. */
export interface EmulatorRole {
  /** `acs:ram::<accountId>:role/<roleName>`. */
  arn: string;
  /** Longest `DurationSeconds` the role allows, in seconds. Default 3600. */
  maxSessionDuration?: number;
}

/** A fault the emulator answers AssumeRole requests with instead of (or before) a normal answer. */
export type StsFault =
  /** HTTP 400 `Throttling.User`, as STS answers beyond the account's QPS limit. */
  | { kind: 'throttle' }
  /** HTTP `status` (default 500) `InternalError` (`ServiceUnavailable` for 503). */
  | { kind: 'server-error'; status?: number }
  /** The normal answer, after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** Accepts the request and never answers, until {@link StsEmulator.close}. */
  | { kind: 'hang' }
  /** HTTP 200 with content type `application/json` and a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** HTTP 200 with content type `text/html` and an HTML body, as a misrouted proxy answers. */
  | { kind: 'wrong-content-type' }
  /** Destroys the connection without answering. */
  | { kind: 'reset' };

/** How often a fault applies. */
export interface FaultOptions {
  /** Chance, 0..1, that an AssumeRole request gets the fault. Default 1. */
  probability?: number;
  /**
   * The fault is considered for the next `count` AssumeRole requests only (each of them drawn with
   * `probability`), then cleared. Default: until changed.
   */
  count?: number;
}

/** Options of {@link StsEmulator.start}. */
export interface StsEmulatorOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on. Default 0 (an ephemeral port). */
  port?: number;
  /** PEM key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string; cert: string };
  /** The emulated account. Default `1234567890123456`. */
  accountId?: string;
  /** The roles that exist. Default one role: `acs:ram::<accountId>:role/oss-tvm-app`. */
  roles?: EmulatorRole[];
  /** Longest accepted `Policy`, in characters. Default 2048 (the current STS limit). */
  maxPolicyLength?: number;
  /** Delay added to every answer, in milliseconds. Default 0. */
  latencyMs?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** One successful AssumeRole call. */
export interface AssumeRoleRecord {
  roleArn: string;
  roleSessionName: string;
  policy?: string;
  durationSeconds: number;
  /** The AccessKeyId that signed the request. */
  callerAccessKeyId: string;
  /** The credentials STS answered with; `expiration` is `yyyy-MM-ddTHH:mm:ssZ`. */
  issued: EmulatorCredentials & { securityToken: string; expiration: string };
}

const API_VERSION = '2015-04-01';
const HOST_ID = 'sts.aliyuncs.com';
const REQUEST_WINDOW_MS = 15 * 60 * 1000;
const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_ACCOUNT_ID = '1234567890123456';
const DEFAULT_ROLE_NAME = 'oss-tvm-app';
const DEFAULT_MAX_SESSION_DURATION = 3600;
const MIN_SESSION_DURATION = 900;
const MAX_ROLE_SESSION_DURATION = 43200;
const DEFAULT_MAX_POLICY_LENGTH = 2048;
const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';
const COMMON_PARAMETERS = [
  'Format',
  'Version',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'Signature',
] as const;
const ROLE_ARN = /^acs:ram::(\d+):[Rr][Oo][Ll][Ee]\/([A-Za-z0-9._-]{1,64})$/;
const ROLE_SESSION_NAME = /^[A-Za-z0-9.@_-]{2,64}$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z$/;
const POLICY_ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;
const CONDITION_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'IpAddress',
  'NotIpAddress',
]);
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A refusal answered as an STS error body. */
class StsRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface CallerKey {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  expiresAtMs?: number;
}

interface StoredRole {
  arn: string;
  roleName: string;
  roleId: string;
  maxSessionDuration: number;
}

interface FaultState {
  fault: StsFault;
  probability: number;
  remaining?: number;
}

type Parameters = ReadonlyMap<string, string>;

/**
 * An offline STS that answers AssumeRole over real HTTP(S) on loopback. Start it with
 * {@link StsEmulator.start}; always {@link StsEmulator.close} it.
 */
export class StsEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234` (`https://…` with `tls`). */
  readonly url: string;
  /** The emulated account id. */
  readonly accountId: string;
  /** The ARN of the first role (by default `acs:ram::<accountId>:role/oss-tvm-app`). */
  readonly defaultRoleArn: string;

  private readonly server: Server;
  private readonly now: () => number;
  private readonly latencyMs: number;
  private readonly maxPolicyLength: number;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly keys = new Map<string, CallerKey>();
  private readonly roles = new Map<string, StoredRole>();
  private readonly usedNonces = new Map<string, number>();
  private readonly issued = new Map<string, AssumeRoleRecord>();
  private recordList: AssumeRoleRecord[] = [];
  private faultState: FaultState | undefined;
  private assumeRoleCallCount = 0;
  private successfulCallCount = 0;
  private closing: Promise<void> | undefined;

  private constructor(server: Server, url: string, options: StsEmulatorOptions) {
    this.server = server;
    this.url = url;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.now = options.now ?? Date.now;
    this.latencyMs = options.latencyMs ?? 0;
    this.maxPolicyLength = options.maxPolicyLength ?? DEFAULT_MAX_POLICY_LENGTH;
    const roles = options.roles ?? [{ arn: `acs:ram::${this.accountId}:role/${DEFAULT_ROLE_NAME}` }];
    for (const role of roles) this.addRole(role);
    this.defaultRoleArn = roles[0]?.arn ?? `acs:ram::${this.accountId}:role/${DEFAULT_ROLE_NAME}`;
    server.on('connection', (socket: Socket) => this.track(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  /** Starts an emulator listening on `host:port` (default `127.0.0.1`, an ephemeral port). */
  static async start(options: StsEmulatorOptions = {}): Promise<StsEmulator> {
    const server = options.tls
      ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
      : createHttpServer();
    const host = options.host ?? '127.0.0.1';
    await listen(server, host, options.port ?? 0);
    const { port } = server.address() as AddressInfo;
    const scheme = options.tls ? 'https' : 'http';
    return new StsEmulator(server, `${scheme}://${formatHost(host)}:${port}`, options);
  }

  /** AssumeRole requests received, whatever their outcome (faults included). */
  get assumeRoleCalls(): number {
    return this.assumeRoleCallCount;
  }

  /** AssumeRole requests answered with credentials. */
  get successfulCalls(): number {
    return this.successfulCallCount;
  }

  /** The successful AssumeRole calls, oldest first. */
  get records(): readonly AssumeRoleRecord[] {
    return [...this.recordList];
  }

  /** Registers a long-term RAM-user-like key pair (AccessKeyId not starting with `STS.`). */
  addAccessKey(): EmulatorCredentials {
    const key = { accessKeyId: `LTAI${randomBase62(20)}`, accessKeySecret: randomBase62(30) };
    this.keys.set(key.accessKeyId, key);
    return { ...key };
  }

  /**
   * Registers STS-type caller credentials like Function Compute's `context.credentials`
   * (AccessKeyId `STS.…`, with a security token), as a function role would have. They do not expire.
   */
  createFunctionCredentials(): Required<EmulatorCredentials> {
    const key = {
      accessKeyId: `STS.${randomBase62(28)}`,
      accessKeySecret: randomBase62(44),
      securityToken: randomSecurityToken(),
    };
    this.keys.set(key.accessKeyId, key);
    return { ...key };
  }

  /**
   * Registers a role (replacing one with the same ARN).
   *
   * @throws TypeError when the ARN is not `acs:ram::<digits>:role/<name>`; RangeError when
   * `maxSessionDuration` is not an integer in 900..43200.
   */
  addRole(role: EmulatorRole): void {
    const match = ROLE_ARN.exec(role.arn);
    if (!match) throw new TypeError(`Not a RAM role ARN: ${role.arn}`);
    const maxSessionDuration = role.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
    if (!isIntegerIn(maxSessionDuration, MIN_SESSION_DURATION, MAX_ROLE_SESSION_DURATION)) {
      throw new RangeError(`maxSessionDuration must be an integer in 900..43200: ${maxSessionDuration}`);
    }
    this.roles.set(roleKey(role.arn), {
      arn: role.arn,
      roleName: match[2] ?? '',
      roleId: randomDigits(19),
      maxSessionDuration,
    });
  }

  /**
   * Makes AssumeRole requests fail with `fault` (checked before any validation, as an overloaded
   * service answers); `null` clears it.
   *
   * @throws RangeError when `probability` is not in 0..1, `count` is not a non-negative integer or a
   * server error's `status` is not in 500..599.
   */
  setFault(fault: StsFault | null, options: FaultOptions = {}): void {
    if (fault?.kind === 'server-error' && !isIntegerIn(fault.status ?? 500, 500, 599)) {
      throw new RangeError(`status must be an integer in 500..599: ${fault.status}`);
    }
    const probability = options.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError(`probability must be in 0..1: ${probability}`);
    }
    if (options.count !== undefined && !isIntegerIn(options.count, 0, Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`count must be a non-negative integer: ${options.count}`);
    }
    this.faultState =
      fault === null || options.count === 0
        ? undefined
        : { fault, probability, ...(options.count === undefined ? {} : { remaining: options.count }) };
  }

  /** The successful AssumeRole call that issued `accessKeyId`, if this emulator issued it. */
  findIssued(accessKeyId: string): AssumeRoleRecord | undefined {
    return this.issued.get(accessKeyId);
  }

  /**
   * Clears counters, records (and so the credentials they issued), used nonces and the fault.
   * Registered access keys and roles stay.
   */
  reset(): void {
    this.assumeRoleCallCount = 0;
    this.successfulCallCount = 0;
    this.recordList = [];
    this.issued.clear();
    this.usedNonces.clear();
    this.faultState = undefined;
  }

  /** Stops listening and destroys every open connection, hanging ones included. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private track(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      await this.delay(this.latencyMs);
      const parameters = await readParameters(req);
      if (parameters.get('Action') === 'AssumeRole' && (await this.answeredWithFault(req, res))) return;
      sendJson(res, 200, this.assumeRole(req.method === 'GET' ? 'GET' : 'POST', parameters));
    } catch (error) {
      sendErrorOrDestroy(res, error instanceof StsRefusal ? error : internalError());
    }
  }

  /** Counts an AssumeRole request and applies the fault, if any; true when the fault answered. */
  private async answeredWithFault(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    this.assumeRoleCallCount += 1;
    const fault = this.drawFault();
    switch (fault?.kind) {
      case undefined:
        return false;
      case 'slow':
        await this.delay(fault.delayMs);
        return false;
      case 'throttle':
        throw new StsRefusal(400, 'Throttling.User', 'Request was denied due to user flow control.');
      case 'server-error':
        throw serverError(fault.status ?? 500);
      case 'hang':
        return true;
      case 'reset':
        req.socket.destroy();
        return true;
      case 'malformed-json':
        sendRaw(res, 200, JSON_CONTENT_TYPE, `{"RequestId":"${newRequestId()}","Credentials":{"AccessKeyId":`);
        return true;
      case 'wrong-content-type':
        sendRaw(res, 200, 'text/html;charset=utf-8', '<html><body><h1>502 Bad Gateway</h1></body></html>');
        return true;
    }
  }

  private drawFault(): StsFault | undefined {
    const state = this.faultState;
    if (!state) return undefined;
    if (state.remaining !== undefined) {
      state.remaining -= 1;
      if (state.remaining <= 0) this.faultState = undefined;
    }
    return Math.random() < state.probability ? state.fault : undefined;
  }

  private assumeRole(method: 'GET' | 'POST', parameters: Parameters): object {
    const caller = this.authenticate(method, parameters);
    requireAction(parameters, 'AssumeRole');
    const role = this.requireRole(parameters);
    const roleSessionName = requireRoleSessionName(parameters);
    const durationSeconds = requireDuration(parameters, role.maxSessionDuration);
    const policy = this.optionalPolicy(parameters);
    const record = this.issue(role, roleSessionName, durationSeconds, policy, caller.accessKeyId);
    return {
      RequestId: newRequestId(),
      AssumedRoleUser: {
        Arn: `acs:ram::${accountOf(role.arn)}:role/${role.roleName}/${roleSessionName}`,
        AssumedRoleId: `${role.roleId}:${roleSessionName}`,
      },
      Credentials: {
        AccessKeyId: record.issued.accessKeyId,
        AccessKeySecret: record.issued.accessKeySecret,
        SecurityToken: record.issued.securityToken,
        Expiration: record.issued.expiration,
      },
    };
  }

  private authenticate(method: 'GET' | 'POST', parameters: Parameters): CallerKey {
    requireCommonParameters(parameters);
    requireValue(parameters, 'Version', API_VERSION, 'InvalidVersion', 'Specified parameter Version is not valid.');
    requireValue(parameters, 'SignatureMethod', 'HMAC-SHA1', 'InvalidParameter');
    requireValue(parameters, 'SignatureVersion', '1.0', 'InvalidParameter');
    this.requireFreshTimestamp(valueOf(parameters, 'Timestamp'));
    const nonce = valueOf(parameters, 'SignatureNonce');
    this.requireUnusedNonce(nonce);
    const caller = this.requireCallerKey(valueOf(parameters, 'AccessKeyId'));
    requireSignature(method, parameters, caller.accessKeySecret);
    this.rememberNonce(nonce);
    this.requireSecurityToken(caller, parameters.get('SecurityToken') || undefined);
    return caller;
  }

  private requireFreshTimestamp(timestamp: string): void {
    const timeMs = parseTimestamp(timestamp);
    if (timeMs === undefined) {
      throw new StsRefusal(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    }
    if (Math.abs(this.now() - timeMs) > REQUEST_WINDOW_MS) {
      throw new StsRefusal(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    }
  }

  private requireUnusedNonce(nonce: string): void {
    const expiresAtMs = this.usedNonces.get(nonce);
    if (expiresAtMs !== undefined && expiresAtMs > this.now()) {
      throw new StsRefusal(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    }
  }

  private rememberNonce(nonce: string): void {
    const now = this.now();
    for (const [used, expiresAtMs] of this.usedNonces) {
      if (expiresAtMs > now) break;
      this.usedNonces.delete(used);
    }
    this.usedNonces.delete(nonce);
    this.usedNonces.set(nonce, now + REQUEST_WINDOW_MS);
  }

  private requireCallerKey(accessKeyId: string): CallerKey {
    const key = this.keys.get(accessKeyId) ?? this.issuedCallerKey(accessKeyId);
    if (!key) throw new StsRefusal(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    return key;
  }

  private issuedCallerKey(accessKeyId: string): CallerKey | undefined {
    const record = this.issued.get(accessKeyId);
    return record && { ...record.issued, expiresAtMs: Date.parse(record.issued.expiration) };
  }

  private requireSecurityToken(caller: CallerKey, securityToken: string | undefined): void {
    if (caller.accessKeyId.startsWith('STS.') && securityToken === undefined) {
      throw new StsRefusal(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');
    }
    if (!constantTimeEqual(securityToken ?? '', caller.securityToken ?? '')) {
      throw new StsRefusal(
        400,
        'InvalidSecurityToken.MismatchWithAccessKey',
        'The security token you provided does not match the access key.',
      );
    }
    if (caller.expiresAtMs !== undefined && this.now() >= caller.expiresAtMs) {
      throw new StsRefusal(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
    }
  }

  private requireRole(parameters: Parameters): StoredRole {
    const roleArn = requireParameter(parameters, 'RoleArn');
    if (!ROLE_ARN.test(roleArn)) {
      throw new StsRefusal(400, 'InvalidParameter.RoleArn', 'The parameter RoleArn is wrongly formed.');
    }
    const role = this.roles.get(roleKey(roleArn));
    if (!role) throw new StsRefusal(404, 'EntityNotExist.Role', 'The specified Role not exists.');
    return role;
  }

  private optionalPolicy(parameters: Parameters): string | undefined {
    const policy = parameters.get('Policy') || undefined;
    if (policy === undefined) return undefined;
    if (policy.length > this.maxPolicyLength) {
      throw new StsRefusal(
        400,
        'InvalidParameter.PolicySize',
        `The size of Policy must be smaller than ${this.maxPolicyLength} bytes.`,
      );
    }
    if (!isValidPolicy(policy)) {
      throw new StsRefusal(400, 'InvalidParameter.PolicyGrammar', 'The parameter Policy has not passed grammar check.');
    }
    return policy;
  }

  private issue(
    role: StoredRole,
    roleSessionName: string,
    durationSeconds: number,
    policy: string | undefined,
    callerAccessKeyId: string,
  ): AssumeRoleRecord {
    const record: AssumeRoleRecord = {
      roleArn: role.arn,
      roleSessionName,
      ...(policy === undefined ? {} : { policy }),
      durationSeconds,
      callerAccessKeyId,
      issued: {
        accessKeyId: `STS.${randomBase62(28)}`,
        accessKeySecret: randomBase62(40),
        securityToken: randomSecurityToken(),
        expiration: formatExpiration(this.now() + durationSeconds * 1000),
      },
    };
    this.issued.set(record.issued.accessKeyId, record);
    this.recordList.push(record);
    this.successfulCallCount += 1;
    return record;
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function readParameters(req: IncomingMessage): Promise<Parameters> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    throw new StsRefusal(405, 'UnsupportedHTTPMethod', 'This http method is not supported.');
  }
  const url = parseRequestUrl(req.url);
  if (url?.pathname !== '/') throw actionNotFound();
  const parameters = new Map(url.searchParams);
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (isFormContentType(req.headers['content-type'])) {
      for (const [name, value] of new URLSearchParams(body)) parameters.set(name, value);
    }
  }
  return parameters;
}

function parseRequestUrl(path: string | undefined): URL | undefined {
  try {
    return new URL(path ?? '/', 'http://sts.emulator.invalid');
  } catch {
    return undefined;
  }
}

function isFormContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      reject(bodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('close', () => reject(new StsRefusal(400, 'IncompleteRequest', 'The request body was not received.')));
  });
}

function requireCommonParameters(parameters: Parameters): void {
  for (const name of COMMON_PARAMETERS) requireParameter(parameters, name);
}

function requireParameter(parameters: Parameters, name: string): string {
  const value = parameters.get(name);
  if (!value) {
    throw new StsRefusal(
      400,
      'MissingParameter',
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    );
  }
  return value;
}

function valueOf(parameters: Parameters, name: string): string {
  return parameters.get(name) ?? '';
}

function requireValue(
  parameters: Parameters,
  name: string,
  expected: string,
  code: string,
  message = `The specified parameter "${name}" is not valid.`,
): void {
  if (parameters.get(name) !== expected) throw new StsRefusal(400, code, message);
}

function requireAction(parameters: Parameters, action: string): void {
  if (requireParameter(parameters, 'Action') !== action) throw actionNotFound();
}

function requireSignature(method: 'GET' | 'POST', parameters: Parameters, accessKeySecret: string): void {
  const expected = rpcSignature(method, Object.fromEntries(parameters), accessKeySecret);
  if (!constantTimeEqual(valueOf(parameters, 'Signature'), expected)) {
    throw new StsRefusal(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  }
}

function requireRoleSessionName(parameters: Parameters): string {
  const name = requireParameter(parameters, 'RoleSessionName');
  if (!ROLE_SESSION_NAME.test(name)) {
    throw new StsRefusal(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
  }
  return name;
}

function requireDuration(parameters: Parameters, maxSessionDuration: number): number {
  const text = parameters.get('DurationSeconds') || String(DEFAULT_MAX_SESSION_DURATION);
  const seconds = /^[0-9]{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!isIntegerIn(seconds, MIN_SESSION_DURATION, maxSessionDuration)) {
    throw new StsRefusal(
      400,
      'InvalidParameter.DurationSeconds',
      `The Min/Max value of DurationSeconds is 15min/${describeSeconds(maxSessionDuration)}.`,
    );
  }
  return seconds;
}

function describeSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}hr` : `${seconds}s`;
}

/** Parses `yyyy-MM-ddTHH:mm:ssZ` or `yyyy-MM-ddTHH:mm:ss.SSSZ`; undefined when malformed or not a real date. */
function parseTimestamp(text: string): number | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const timeMs = Date.UTC(year, month - 1, day, hours, minutes, seconds, Number(match[7] ?? 0));
  const date = new Date(timeMs);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hours &&
    date.getUTCMinutes() === minutes &&
    date.getUTCSeconds() === seconds;
  return roundTrips ? timeMs : undefined;
}

function formatExpiration(timeMs: number): string {
  return new Date(Math.floor(timeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The session-policy grammar STS enforces: `{"Version":"1","Statement":[…]}` and nothing else. */
function isValidPolicy(text: string): boolean {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return false;
  }
  return (
    isPlainObject(document) &&
    hasOnlyKeys(document, ['Version', 'Statement']) &&
    document.Version === '1' &&
    Array.isArray(document.Statement) &&
    document.Statement.length > 0 &&
    document.Statement.every(isValidStatement)
  );
}

function isValidStatement(statement: unknown): boolean {
  return (
    isPlainObject(statement) &&
    hasOnlyKeys(statement, ['Effect', 'Action', 'Resource'], ['Condition']) &&
    (statement.Effect === 'Allow' || statement.Effect === 'Deny') &&
    isNonEmptyListOf(statement.Action, isValidAction) &&
    isNonEmptyListOf(statement.Resource, isNonEmptyString) &&
    (statement.Condition === undefined || isValidCondition(statement.Condition))
  );
}

function isValidAction(action: unknown): boolean {
  return typeof action === 'string' && (action === '*' || POLICY_ACTION.test(action));
}

function isValidCondition(condition: unknown): boolean {
  return (
    isPlainObject(condition) &&
    Object.entries(condition).every(
      ([operator, block]) =>
        CONDITION_OPERATORS.has(operator) && isPlainObject(block) && Object.values(block).every(isConditionValue),
    )
  );
}

function isConditionValue(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'))
  );
}

function isNonEmptyListOf(value: unknown, isItem: (item: unknown) => boolean): boolean {
  return Array.isArray(value) ? value.length > 0 && value.every(isItem) : isItem(value);
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnlyKeys(
  object: Record<string, unknown>,
  required: readonly string[],
  optional: readonly string[] = [],
): boolean {
  return (
    required.every((key) => Object.hasOwn(object, key)) &&
    Object.keys(object).every((key) => required.includes(key) || optional.includes(key))
  );
}

function roleKey(roleArn: string): string {
  return roleArn.toLowerCase();
}

function accountOf(roleArn: string): string {
  return ROLE_ARN.exec(roleArn)?.[1] ?? '';
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && text.length < length) text += BASE62.charAt(byte % 62);
    }
  }
  return text;
}

function randomDigits(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length) digits += String(randomInt(0, 10));
  return digits;
}

/** An opaque token shaped like STS's: `CAIS` and a long base64 run (with `+`, `/` and `=`). */
function randomSecurityToken(): string {
  return `CAIS${randomBytes(241).toString('base64')}`;
}

function newRequestId(): string {
  return randomUUID().toUpperCase();
}

function actionNotFound(): StsRefusal {
  return new StsRefusal(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
}

function bodyTooLarge(): StsRefusal {
  return new StsRefusal(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
}

function serverError(status: number): StsRefusal {
  return status === 503
    ? new StsRefusal(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
    : new StsRefusal(status, 'InternalError', 'STS Server Internal Error happened.');
}

function internalError(): StsRefusal {
  return serverError(500);
}

function sendErrorOrDestroy(res: ServerResponse, refusal: StsRefusal): void {
  try {
    sendError(res, refusal);
  } catch {
    res.destroy();
  }
}

function sendError(res: ServerResponse, refusal: StsRefusal): void {
  if (refusal.status === 413) res.setHeader('connection', 'close');
  sendJson(res, refusal.status, {
    RequestId: newRequestId(),
    HostId: HOST_ID,
    Code: refusal.code,
    Message: refusal.message,
  });
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  sendRaw(res, status, JSON_CONTENT_TYPE, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
