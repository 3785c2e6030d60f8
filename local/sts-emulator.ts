/**
 * An offline emulator of Alibaba Cloud STS (API 2015-04-01) for the `AssumeRole` action: a real HTTP(S)
 * server on loopback that checks what STS checks (common parameters, timestamp window, nonce reuse, the
 * RPC signature, security tokens, role, the role's trust policy, session name, duration and session-policy grammar) and answers in
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
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { isoSeconds } from '../shared/time';
import { listen } from './listen';
import { type Authenticator, type CallerKey, NonceLedger, authenticate } from './sts-emulator/authenticate';
import { StsRefusal, internalError, serverError, throttled } from './sts-emulator/errors';
import { FaultSchedule } from './sts-emulator/faults';
import type { FaultOptions, StsFault } from './sts-emulator/faults';
import { newRequestId, randomBase62, randomSecurityToken } from './sts-emulator/identifiers';
import { type Parameters, readParameters, requireAction, requireDuration, requireRoleSessionName } from './sts-emulator/parameters';
import { JSON_CONTENT_TYPE, sendErrorOrDestroy, sendJson, sendRaw } from './sts-emulator/reply';
import { RoleTable, accountOf, requireTrust } from './sts-emulator/roles';
import type { EmulatorRole, StoredRole } from './sts-emulator/roles';
import { optionalPolicy } from './sts-emulator/session-policy';

export type { FaultOptions, StsFault } from './sts-emulator/faults';
export type { EmulatorRole } from './sts-emulator/roles';

/** An access key pair a caller signs with; `securityToken` only for STS-type (temporary) keys. */
export interface EmulatorCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
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
  /**
   * The roles that exist. Default one role, `acs:ram::<accountId>:role/oss-tvm-app`, whose trust policy
   * trusts only the function role (`acs:ram::<accountId>:role/oss-tvm-function`), as README's RAM setup has it.
   */
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

const DEFAULT_ACCOUNT_ID = '1234567890123456';
const DEFAULT_ROLE_NAME = 'oss-tvm-app';
const FUNCTION_ROLE_NAME = 'oss-tvm-function';
const DEFAULT_MAX_POLICY_LENGTH = 2048;

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
  /** The role whose sessions {@link createFunctionCredentials} hands out: `acs:ram::<accountId>:role/oss-tvm-function`. */
  readonly functionRoleArn: string;

  private readonly server: Server;
  private readonly now: () => number;
  private readonly latencyMs: number;
  private readonly maxPolicyLength: number;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly keys = new Map<string, CallerKey>();
  private readonly roles = new RoleTable();
  private readonly nonces: NonceLedger;
  private readonly authenticator: Authenticator;
  private readonly issued = new Map<string, AssumeRoleRecord>();
  private recordList: AssumeRoleRecord[] = [];
  private readonly faults = new FaultSchedule();
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
    this.nonces = new NonceLedger(this.now);
    this.authenticator = { now: this.now, nonces: this.nonces, findKey: (accessKeyId) => this.findKey(accessKeyId) };
    this.functionRoleArn = `acs:ram::${this.accountId}:role/${FUNCTION_ROLE_NAME}`;
    const roles = options.roles ?? [{ arn: `acs:ram::${this.accountId}:role/${DEFAULT_ROLE_NAME}`, trustedPrincipals: [this.functionRoleArn] }];
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

  /**
   * Registers a long-term key pair (AccessKeyId not starting with `STS.`) of the RAM user `userName`
   * (`acs:ram::<accountId>:user/<userName>`). Only roles that trust that user or the account root let it
   * assume them: not the default role.
   */
  addAccessKey(userName = 'developer'): EmulatorCredentials {
    const key = { accessKeyId: `LTAI${randomBase62(20)}`, accessKeySecret: randomBase62(30) };
    this.keys.set(key.accessKeyId, { ...key, principal: `acs:ram::${this.accountId}:user/${userName}` });
    return { ...key };
  }

  /**
   * Registers STS-type caller credentials like Function Compute's `context.credentials`
   * (AccessKeyId `STS.…`, with a security token): a session of the function role {@link functionRoleArn},
   * which the default role trusts. They do not expire.
   */
  createFunctionCredentials(): Required<EmulatorCredentials> {
    const key = {
      accessKeyId: `STS.${randomBase62(28)}`,
      accessKeySecret: randomBase62(44),
      securityToken: randomSecurityToken(),
    };
    this.keys.set(key.accessKeyId, { ...key, principal: this.functionRoleArn });
    return { ...key };
  }

  /**
   * Registers a role (replacing one with the same ARN).
   *
   * @throws TypeError when the ARN is not `acs:ram::<digits>:role/<name>`; RangeError when
   * `maxSessionDuration` is not an integer in 900..43200.
   */
  addRole(role: EmulatorRole): void {
    this.roles.add(role);
  }

  /**
   * Makes AssumeRole requests fail with `fault` (checked before any validation, as an overloaded
   * service answers); `null` clears it.
   *
   * @throws RangeError when `probability` is not in 0..1, `count` is not a non-negative integer or a
   * server error's `status` is not in 500..599.
   */
  setFault(fault: StsFault | null, options: FaultOptions = {}): void {
    this.faults.set(fault, options);
  }

  /** The successful AssumeRole call that issued `accessKeyId`, if this emulator issued it. */
  findIssued(accessKeyId: string): AssumeRoleRecord | undefined {
    return this.issued.get(accessKeyId);
  }

  /**
   * A key registered with {@link addAccessKey} or {@link createFunctionCredentials} (not one AssumeRole
   * issued), with the RAM principal it acts as: a user ARN, or the function role's ARN.
   */
  findRegistered(accessKeyId: string): (EmulatorCredentials & { principal: string }) | undefined {
    const key = this.keys.get(accessKeyId);
    return key && { accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, ...(key.securityToken === undefined ? {} : { securityToken: key.securityToken }), principal: key.principal };
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
    this.nonces.clear();
    this.faults.set(null);
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
      if (parameters.get('Action') === 'AssumeRole' && (await this.answeredWithFault(req, res, parameters.get('RoleSessionName') ?? ''))) return;
      sendJson(res, 200, this.assumeRole(req.method === 'GET' ? 'GET' : 'POST', parameters));
    } catch (error) {
      sendErrorOrDestroy(res, error instanceof StsRefusal ? error : internalError());
    }
  }

  /** Counts an AssumeRole request and applies the fault, if any; true when the fault answered. */
  private async answeredWithFault(req: IncomingMessage, res: ServerResponse, roleSessionName: string): Promise<boolean> {
    this.assumeRoleCallCount += 1;
    const fault = this.faults.draw({ roleSessionName });
    switch (fault?.kind) {
      case undefined:
        return false;
      case 'slow':
        await this.delay(fault.delayMs);
        return false;
      case 'throttle':
        throw throttled();
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

  private assumeRole(method: 'GET' | 'POST', parameters: Parameters): object {
    const caller = authenticate(method, parameters, this.authenticator);
    requireAction(parameters, 'AssumeRole');
    const role = this.roles.require(parameters);
    requireTrust(role, caller.principal);
    const roleSessionName = requireRoleSessionName(parameters);
    const durationSeconds = requireDuration(parameters, role.maxSessionDuration);
    const policy = optionalPolicy(parameters, this.maxPolicyLength);
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

  private findKey(accessKeyId: string): CallerKey | undefined {
    const key = this.keys.get(accessKeyId);
    if (key) return key;
    const record = this.issued.get(accessKeyId);
    return record && { ...record.issued, expiresAtMs: Date.parse(record.issued.expiration), principal: record.roleArn };
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
        expiration: isoSeconds(new Date(this.now() + durationSeconds * 1000)),
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
