/**
 * Credentials for (identity, scope, policy, role), cached in the instance. Every decision is made
 * at the asking request's own clock reading ({@link CredentialNeed}), so what a request checked
 * (a presigned URL's Expires, say) is what the cache is judged by. Entries are served while at
 * least 10 minutes of validity remain (the SDKs refresh 5 minutes before expiry) and they outlive
 * what the request needs; misses for the same key share one STS call; the cache is a bounded LRU;
 * STS calls per key are limited by an optional {@link CallBudget}; and when STS is throttling or
 * down, or the budget is spent, an entry with at least 5 minutes left (and as long as the caller
 * needs) is served instead of an error. With a {@link SharedCredentialCache} (optional), a miss asks
 * the fleet's shared cache before STS, and what STS gives is shared with every instance.
 */
import { createHash } from 'node:crypto';
import { TvmError } from '../errors';
import type { CallBudget } from './call-budget';
import { setMostRecent } from './recent-map';
import type { SharedCredentialCache } from './shared-cache/shared-credential-cache';
import type { AccessCredentials, AssumeRoleClient, StsCredentials } from './sts-client';

/** What credentials are wanted for. */
export interface CredentialRequest {
  readonly roleArn: string;
  readonly identity: string;
  readonly scope: string;
  /** The exact session policy JSON. */
  readonly policy: string;
  readonly roleSessionName: string;
  readonly durationSeconds: number;
}

/** When a request asks for credentials, and how long it needs them. */
export interface CredentialNeed {
  /** The request's one clock reading, in ms since the epoch: the instant every check of the request is made at. */
  readonly now: number;
  /**
   * The instant (ms) until which the credentials must stay valid, such as a presigned URL's
   * expiry; a cached entry that expires sooner is not served. Default: no more than the
   * provider's freshness margin.
   */
  readonly validUntil?: number;
}

/** Credentials and how they were obtained. */
export interface ProvidedCredentials {
  readonly credentials: StsCredentials;
  /**
   * `hit`: cached; `shared`: from the fleet's shared cache; `miss`: this call asked STS;
   * `coalesced`: shared a concurrent call; `stale`: cached, served because STS failed.
   */
  readonly cache: 'hit' | 'shared' | 'miss' | 'coalesced' | 'stale';
  readonly stsRequestId?: string;
}

/** Options of {@link CredentialProvider}. */
export interface CredentialProviderOptions {
  readonly sts: AssumeRoleClient;
  /** Most entries kept; the least recently used go first. Default 10,000. */
  readonly maxEntries?: number;
  /** Serve a cached entry only while this much validity remains. Default 10 minutes. */
  readonly freshForMs?: number;
  /** When STS fails, serve an entry that still has this much validity. Default 5 minutes. */
  readonly staleForMs?: number;
  /** Limits the STS calls made per key; coalesced callers of one call spend it once. Default: no limit. */
  readonly budget?: CallBudget;
  /**
   * The fleet's shared cache, asked on a miss before STS (its entries kept while they are fresh by
   * this provider's margin). The budget then counts only the calls this instance makes to STS.
   * Default: none, each instance on its own.
   */
  readonly shared?: SharedCredentialCache;
}

/** Failures that an entry with some validity left may stand in for. */
const FALLBACK_CODES = new Set(['StsThrottled', 'StsUnavailable', 'StsInvalidResponse', 'TooManyRequests']);

/**
 * The cached, single-flight path to STS credentials shared by both functions.
 *
 * @example
 * ```ts
 * const provider = new CredentialProvider({ sts: new StsClient({ endpoint }) });
 * const { credentials, cache } = await provider.get(functionCredentials, request, { now: Date.now() });
 * ```
 */
export class CredentialProvider {
  private readonly entries = new Map<string, StsCredentials>();
  private readonly pending = new Map<string, Promise<ProvidedCredentials>>();
  private readonly maxEntries: number;
  private readonly freshForMs: number;
  private readonly staleForMs: number;

  constructor(private readonly options: CredentialProviderOptions) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.freshForMs = options.freshForMs ?? 10 * 60_000;
    this.staleForMs = options.staleForMs ?? 5 * 60_000;
  }

  /** The number of cached entries. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Cached credentials for `request`, or new ones from STS signed with `caller`.
   *
   * @param need the request's clock reading, and until when the credentials must stay valid.
   * @throws the STS client's {@link TvmError} when STS fails and no usable entry is cached;
   *   429 `TooManyRequests` with `Retry-After` when the key's budget is spent (no STS call is made).
   */
  async get(caller: AccessCredentials, request: CredentialRequest, need: CredentialNeed): Promise<ProvidedCredentials> {
    const key = cacheKey(request);
    const cached = this.lookup(key, need, this.freshForMs);
    if (cached) return { credentials: cached, cache: 'hit' };
    try {
      const inFlight = this.pending.get(key);
      if (inFlight) return { ...(await inFlight), cache: 'coalesced' };
      const { shared } = this.options;
      if (shared === undefined) this.spendBudget(key, need);
      const call = (shared === undefined ? this.fetch(key, caller, request) : this.fetchShared(shared, key, caller, request, need)).finally(() => this.pending.delete(key));
      this.pending.set(key, call);
      return await call;
    } catch (error) {
      // Each caller falls back on its own terms: only to an entry that still covers what it needs.
      const stale = error instanceof TvmError && FALLBACK_CODES.has(error.code) ? this.lookup(key, need, this.staleForMs) : undefined;
      if (stale) return { credentials: stale, cache: 'stale' };
      throw error;
    }
  }

  private async fetch(key: string, caller: AccessCredentials, request: CredentialRequest): Promise<ProvidedCredentials> {
    const { credentials, requestId } = await this.options.sts.assumeRole(caller, request);
    this.store(key, credentials);
    return { credentials, cache: 'miss', stsRequestId: requestId };
  }

  /** The shared cache's usable entry, else STS through it (the budget spent only then). */
  private async fetchShared(shared: SharedCredentialCache, key: string, caller: AccessCredentials, request: CredentialRequest, need: CredentialNeed): Promise<ProvidedCredentials> {
    const outcome = await shared.obtain(key, {
      usable: (credentials) => this.covers(credentials, need, this.freshForMs),
      keepForMs: (credentials) => credentials.expiration.getTime() - need.now - this.freshForMs,
    }, async () => {
      this.spendBudget(key, need);
      const { credentials, requestId } = await this.options.sts.assumeRole(caller, request);
      return { credentials, requestId };
    });
    this.store(key, outcome.credentials);
    return outcome.requestId === undefined ? { credentials: outcome.credentials, cache: 'shared' } : { credentials: outcome.credentials, cache: 'miss', stsRequestId: outcome.requestId };
  }

  /** Spends one STS call of `key`'s budget. @throws 429 `TooManyRequests` when it is spent. */
  private spendBudget(key: string, need: CredentialNeed): void {
    const wait = this.options.budget?.take(key, need.now);
    if (wait !== undefined) throw tooManyRequests(wait);
  }

  /** Whether `credentials` have, at `need.now`, `marginMs` left and outlive `need.validUntil`. */
  private covers(credentials: StsCredentials, need: CredentialNeed, marginMs: number): boolean {
    const expiresAt = credentials.expiration.getTime();
    return expiresAt - need.now >= marginMs && expiresAt >= (need.validUntil ?? need.now);
  }

  /** The entry for `key` if, at `need.now`, it has `marginMs` left and outlives `need.validUntil`. */
  private lookup(key: string, need: CredentialNeed, marginMs: number): StsCredentials | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const expiresAt = entry.expiration.getTime();
    if (expiresAt - need.now < this.staleForMs) {
      this.entries.delete(key);
      return undefined;
    }
    if (!this.covers(entry, need, marginMs)) return undefined;
    setMostRecent(this.entries, key, entry, this.maxEntries);
    return entry;
  }

  private store(key: string, credentials: StsCredentials): void {
    setMostRecent(this.entries, key, credentials, this.maxEntries);
  }
}

function tooManyRequests(retryAfterSeconds: number): TvmError {
  return new TvmError(429, 'TooManyRequests', `Too many new credentials were requested for this user and scope; try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

function cacheKey(request: CredentialRequest): string {
  return createHash('sha256')
    .update([request.roleArn, request.identity, request.scope, request.durationSeconds, request.policy].join('\n'))
    .digest('base64url');
}
