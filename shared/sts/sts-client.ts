/**
 * A small STS client: one RPC-signed AssumeRole request over node:http(s), with a per-attempt timeout,
 * capped exponential backoff with full jitter for throttling, 5xx and network errors, and a total
 * deadline. Failures become {@link TvmError}s with stable codes; the upstream body never leaves.
 */
import { randomUUID } from 'node:crypto';
import { TvmError } from '../errors';
import { AnswerTooLarge, type HttpAnswer, postForm } from '../http/outbound';
import { formEncode, rpcSignature } from './rpc-signature';
import { isoSeconds } from '../time';

/** Credentials that sign the AssumeRole call: the function role's, from the FC context. */
export interface AccessCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** Temporary credentials issued by STS. */
export interface StsCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string;
  readonly expiration: Date;
}

/** The AssumeRole parameters the product sends. */
export interface AssumeRoleInput {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly policy: string;
  readonly durationSeconds: number;
}

/** A successful AssumeRole. */
export interface AssumeRoleResult {
  readonly credentials: StsCredentials;
  readonly requestId: string;
}

/** What the credential provider needs of an STS client. */
export interface AssumeRoleClient {
  assumeRole(caller: AccessCredentials, input: AssumeRoleInput): Promise<AssumeRoleResult>;
}

/** Retry settings; the defaults keep every call well inside a 10 s function timeout. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No attempt starts, and none runs, past this many ms after the call began. */
  readonly deadlineMs: number;
}

/**
 * How the client keeps time for its retries: the deadline and each attempt's share of it are read
 * from `now`, the pause between attempts is `sleep`, and an attempt is given up when the signal of
 * `timeout` aborts. Real time by default; a test passes a clock of its own (recording, or moved by
 * hand) to judge the schedule without timing it.
 */
export interface RetryTimers {
  /** Milliseconds, for the deadline. */
  now(): number;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
  /** A signal that aborts with a `TimeoutError` DOMException after `ms`. */
  timeout(ms: number): AbortSignal;
}

/** Real time: `Date.now`, a timer, `AbortSignal.timeout`. */
export const REAL_TIMERS: RetryTimers = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  timeout: (ms) => AbortSignal.timeout(Math.max(1, ms)),
};

/** Options of {@link StsClient}. */
export interface StsClientOptions {
  /** Base URL, such as `https://sts.cn-hangzhou.aliyuncs.com`. */
  readonly endpoint: string;
  readonly attemptTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly random?: () => number;
  /** The clock that dates each request (its `Timestamp`), in ms; default `Date.now`. */
  readonly now?: () => number;
  /** The time timeouts, backoff and the deadline run on; default {@link REAL_TIMERS}. */
  readonly timers?: RetryTimers;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 5000 };
const DEFAULT_ATTEMPT_TIMEOUT_MS = 3000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const STS_CODE = /^[A-Za-z0-9.]{1,64}$/;

/**
 * Calls STS AssumeRole (API 2015-04-01) with the RPC signature.
 *
 * @example
 * ```ts
 * const sts = new StsClient({ endpoint: config.stsEndpoint });
 * const { credentials } = await sts.assumeRole(functionCredentials, { roleArn, roleSessionName, policy, durationSeconds: 3600 });
 * ```
 */
export class StsClient implements AssumeRoleClient {
  private readonly retry: RetryPolicy;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly timers: RetryTimers;

  constructor(private readonly options: StsClientOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? REAL_TIMERS;
  }

  /**
   * @throws {@link TvmError} 503 `StsThrottled` or `StsUnavailable` once retries are spent;
   *   502 `StsInvalidResponse` for an answer that is not STS's JSON; 502 `Sts.<Code>` when STS refuses.
   */
  async assumeRole(caller: AccessCredentials, input: AssumeRoleInput): Promise<AssumeRoleResult> {
    const deadline = this.timers.now() + this.retry.deadlineMs;
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - this.timers.now();
      try {
        return await this.attempt(caller, input, Math.min(this.attemptTimeoutMs, remaining));
      } catch (error) {
        const failure = error instanceof TvmError ? error : unavailable(error);
        const delay = this.backoff(attempt);
        const retryable = failure.code === 'StsThrottled' || failure.code === 'StsUnavailable';
        if (!retryable || attempt >= this.retry.maxAttempts || this.timers.now() + delay + 50 >= deadline) throw failure;
        await this.timers.sleep(delay);
      }
    }
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * cap);
  }

  private async attempt(caller: AccessCredentials, input: AssumeRoleInput, timeoutMs: number): Promise<AssumeRoleResult> {
    let answer: HttpAnswer;
    try {
      answer = await postForm(`${this.options.endpoint}/`, signedBody(caller, input, new Date(this.now())), this.timers.timeout(timeoutMs), MAX_RESPONSE_BYTES);
    } catch (error) {
      if (error instanceof AnswerTooLarge) throw new TvmError(502, 'StsInvalidResponse', 'STS sent an answer that is too large.');
      throw error;
    }
    return interpret(answer.status, answer.contentType, answer.body);
  }
}

function signedBody(caller: AccessCredentials, input: AssumeRoleInput, timestamp: Date): string {
  const parameters: Record<string, string> = {
    Action: 'AssumeRole',
    Format: 'JSON',
    Version: '2015-04-01',
    AccessKeyId: caller.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: isoSeconds(timestamp),
    RoleArn: input.roleArn,
    RoleSessionName: input.roleSessionName,
    Policy: input.policy,
    DurationSeconds: String(input.durationSeconds),
  };
  if (caller.securityToken) parameters['SecurityToken'] = caller.securityToken;
  parameters['Signature'] = rpcSignature('POST', parameters, caller.accessKeySecret);
  return formEncode(parameters);
}

function interpret(status: number, contentType: string, text: string): AssumeRoleResult {
  const body = parseJson(text);
  const requestId = typeof body?.['RequestId'] === 'string' ? body['RequestId'] : '';
  const logFields: Record<string, string> = requestId ? { stsRequestId: requestId } : {};
  const code = typeof body?.['Code'] === 'string' ? body['Code'] : undefined;
  if (status >= 500) {
    throw new TvmError(503, 'StsUnavailable', `STS is unavailable (HTTP ${status}). Try again later.`, { headers: { 'Retry-After': '2' }, logFields });
  }
  if (status === 429 || code?.startsWith('Throttling')) {
    throw new TvmError(503, 'StsThrottled', 'STS is throttling requests. Try again shortly.', { headers: { 'Retry-After': '2' }, logFields });
  }
  if (body === undefined || !contentType.toLowerCase().includes('json')) {
    throw new TvmError(502, 'StsInvalidResponse', `STS sent an answer that is not its JSON (HTTP ${status}).`, { logFields });
  }
  if (status >= 400 || code !== undefined) {
    const stsCode = code !== undefined && STS_CODE.test(code) ? code : 'Unknown';
    throw new TvmError(502, `Sts.${stsCode}`, `STS refused to issue credentials (${stsCode}). The function's RAM setup may need attention.`, { logFields });
  }
  return { credentials: readCredentials(body, logFields), requestId };
}

function readCredentials(body: Record<string, unknown>, logFields: Record<string, string>): StsCredentials {
  const credentials = body['Credentials'];
  const fields = typeof credentials === 'object' && credentials !== null ? (credentials as Record<string, unknown>) : {};
  const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = fields;
  const expiration = typeof Expiration === 'string' ? new Date(Expiration) : new Date(Number.NaN);
  if (
    typeof AccessKeyId !== 'string' || AccessKeyId === '' ||
    typeof AccessKeySecret !== 'string' || AccessKeySecret === '' ||
    typeof SecurityToken !== 'string' || SecurityToken === '' ||
    Number.isNaN(expiration.getTime())
  ) {
    throw new TvmError(502, 'StsInvalidResponse', 'STS answered without complete credentials.', { logFields });
  }
  return { accessKeyId: AccessKeyId, accessKeySecret: AccessKeySecret, securityToken: SecurityToken, expiration };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function unavailable(cause: unknown): TvmError {
  const timedOut = cause instanceof DOMException && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
  const message = timedOut ? 'STS did not answer in time. Try again later.' : 'STS could not be reached. Try again later.';
  return new TvmError(503, 'StsUnavailable', message, { headers: { 'Retry-After': '2' }, cause });
}
