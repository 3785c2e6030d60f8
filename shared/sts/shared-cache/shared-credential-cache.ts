/**
 * The optional cache that every instance of the fleet shares (`TVM_SHARED_CACHE_URL`, a
 * Redis-protocol store), behind each instance's own cache: one AssumeRole per identity and scope
 * per credential lifetime serves every instance. Entries are keyed by the per-instance cache's key
 * (a SHA-256 of role, identity, scope, duration and policy, never the identity itself), sealed with
 * AES-256-GCM under `TVM_SHARED_CACHE_KEY` and bound to that key (an entry moved to another key
 * does not open), and expire when instances would stop serving them. Concurrent misses of one key
 * on several instances share one STS call: the instance that takes the key's short lock calls STS
 * and writes; the others wait for the entry a bounded time, then call STS themselves.
 *
 * The cache never makes a request fail: every store operation has a short timeout, and a failed,
 * slow or absent store, an evicted entry, or one that does not open (altered, another key) is a
 * miss. After a failure the store is left alone for a while (a circuit breaker), so an outage does
 * not add its timeout to every request; the first failure and the recovery are logged once each,
 * with no URL, key or credentials.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log';
import { openCredentials, sealCredentials } from '../sealed-credentials';
import type { StsCredentials } from '../sts-client';
import type { SharedStore } from './shared-store';

/** Options of {@link SharedCredentialCache}. */
export interface SharedCredentialCacheOptions {
  /** The store, or its loading (the cache waits for it within the operation timeout). */
  readonly store: SharedStore | Promise<SharedStore>;
  /** The AES-256-GCM key (`TVM_SHARED_CACHE_KEY`), 32 bytes. */
  readonly key: Uint8Array;
  /** Writes the cache's rare operational lines. Default: none. */
  readonly log?: Logger['event'];
  /** The longest wait for one store operation, in ms. Default 150. */
  readonly operationTimeoutMs?: number;
  /** How long the store is left alone after a failure, in ms. Default 10 s. */
  readonly breakMs?: number;
  /** How long an instance holds a key's lock while it calls STS, at most, in ms. Default 6 s (the STS client gives up after 5). */
  readonly lockMs?: number;
  /** How long an instance waits for another's STS call to fill the entry before calling STS itself, in ms. Default 2 s. */
  readonly waitMs?: number;
  /** The instance's clock for the breaker and the waits, in ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Waits `ms`. Default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the asking request accepts, judged at its own clock reading. */
export interface SharedNeed {
  /** Whether credentials found in the cache may be served. */
  readonly usable: (credentials: StsCredentials) => boolean;
  /** How long credentials may stay in the cache (at most until instances stop serving them), in ms. */
  readonly keepForMs: (credentials: StsCredentials) => number;
}

/** Credentials from the shared cache (`requestId` absent), or from the STS call this instance made. */
export interface SharedOutcome {
  readonly credentials: StsCredentials;
  readonly requestId?: string;
}

/** The prefix of a sealed entry: the format's version. */
const ENTRY_VERSION = 'c1.';
const UNAVAILABLE = Symbol('unavailable');
type Attempt<T> = T | typeof UNAVAILABLE;

class OperationTimeout extends Error {}

/**
 * The fleet-wide cache in front of STS.
 *
 * @example
 * ```ts
 * const shared = new SharedCredentialCache({ store: loadRedisStore(url, timeouts), key, log: logger.event });
 * const provider = new CredentialProvider({ sts, shared });
 * ```
 */
export class SharedCredentialCache {
  private readonly operationTimeoutMs: number;
  private readonly breakMs: number;
  private readonly lockMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private unavailableUntil = Number.NEGATIVE_INFINITY;
  private healthy = true;
  private reportedUnopenable = false;

  constructor(private readonly options: SharedCredentialCacheOptions) {
    this.operationTimeoutMs = options.operationTimeoutMs ?? 150;
    this.breakMs = options.breakMs ?? 10_000;
    this.lockMs = options.lockMs ?? 6000;
    this.waitMs = options.waitMs ?? 2000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Usable credentials for `key` from the shared cache; else `call` (the STS call), made once
   * across instances while they all want the same key, its credentials written for the others.
   * `call`'s own failures are passed on unchanged; the store's never are.
   */
  async obtain(key: string, need: SharedNeed, call: () => Promise<SharedOutcome>): Promise<SharedOutcome> {
    const names = entryNames(key);
    const deadline = this.now() + this.waitMs;
    for (let round = 0; ; round++) {
      const found = await this.read(key, names);
      if (found === UNAVAILABLE) return call();
      if (found.credentials !== undefined && need.usable(found.credentials)) return { credentials: found.credentials };
      if (!found.locked || round === 0) {
        const token = randomBytes(12).toString('base64url');
        const taken = await this.attempt((store) => store.setIfAbsent(names.lock, token, this.lockMs));
        if (taken === UNAVAILABLE) return call();
        if (taken) return this.callAndShare(key, names, token, need, call);
      }
      if (this.now() >= deadline) return call();
      await this.sleep(Math.min(100, 10 * 2 ** round, Math.max(1, deadline - this.now())));
    }
  }

  private async callAndShare(key: string, names: EntryNames, token: string, need: SharedNeed, call: () => Promise<SharedOutcome>): Promise<SharedOutcome> {
    try {
      const outcome = await call();
      const keepForMs = Math.floor(need.keepForMs(outcome.credentials));
      if (keepForMs > 0) {
        const sealed = ENTRY_VERSION + sealCredentials(this.options.key, outcome.credentials, associatedData(key));
        await this.attempt((store) => store.set(names.entry, sealed, keepForMs));
      }
      return outcome;
    } finally {
      await this.attempt((store) => store.deleteIfEqual(names.lock, token));
    }
  }

  /** The entry's credentials (undefined when absent or unopenable) and whether the key is locked. */
  private async read(key: string, names: EntryNames): Promise<Attempt<{ credentials: StsCredentials | undefined; locked: boolean }>> {
    const values = await this.attempt((store) => store.get([names.entry, names.lock]));
    if (values === UNAVAILABLE) return UNAVAILABLE;
    const [entry, lock] = values;
    return { credentials: typeof entry === 'string' ? this.open(key, entry) : undefined, locked: typeof lock === 'string' };
  }

  private open(key: string, entry: string): StsCredentials | undefined {
    const credentials = entry.startsWith(ENTRY_VERSION) ? openCredentials(this.options.key, entry.slice(ENTRY_VERSION.length), associatedData(key)) : undefined;
    if (credentials === undefined && !this.reportedUnopenable) {
      this.reportedUnopenable = true;
      this.options.log?.('warn', 'The shared credential cache holds an entry this instance cannot open (written under another TVM_SHARED_CACHE_KEY, or altered); such entries are treated as misses and replaced.');
    }
    return credentials;
  }

  /** Runs one store operation within the timeout, unless the breaker is open; never rejects. */
  private async attempt<T>(operation: (store: SharedStore) => Promise<T>): Promise<Attempt<T>> {
    if (this.now() < this.unavailableUntil) return UNAVAILABLE;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OperationTimeout()), this.operationTimeoutMs);
      });
      const result = await Promise.race([Promise.resolve(this.options.store).then(operation), timeout]);
      if (!this.healthy) {
        this.healthy = true;
        this.options.log?.('info', 'The shared credential cache is available again.');
      }
      return result;
    } catch (error) {
      this.unavailableUntil = this.now() + this.breakMs;
      if (this.healthy) {
        this.healthy = false;
        this.options.log?.('warn', 'The shared credential cache is unavailable; each instance caches credentials on its own until it answers again.', { reason: failureReason(error), retryInMs: this.breakMs });
      }
      return UNAVAILABLE;
    } finally {
      clearTimeout(timer);
    }
  }
}

interface EntryNames {
  readonly entry: string;
  readonly lock: string;
}

/** The store's names for a key's entry and lock; the braces keep both in one slot of a cluster. */
function entryNames(key: string): EntryNames {
  return { entry: `oss-tvm:{${key}}:credentials`, lock: `oss-tvm:{${key}}:lock` };
}

function associatedData(key: string): Buffer {
  return Buffer.from(`oss-tvm shared credential cache\n${key}`, 'utf8');
}

/** A short, secret-free word for a failure: never the error's message, which may hold the host. */
function failureReason(error: unknown): string {
  if (error instanceof OperationTimeout || (error instanceof Error && /timed out/i.test(error.message))) return 'timeout';
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : 'error';
}
