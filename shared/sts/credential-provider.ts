/**
 * Credentials for (identity, scope, policy, role), cached in the instance. Entries are served
 * while at least 10 minutes of validity remain (the SDKs refresh 5 minutes before expiry), misses
 * for the same key share one STS call, the cache is a bounded LRU, and when STS is throttling or
 * down an entry with at least 5 minutes left (and as long as the caller needs) is served instead
 * of an error.
 */
import { createHash } from 'node:crypto';
import { TvmError } from '../errors';
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

/** Credentials and how they were obtained. */
export interface ProvidedCredentials {
  readonly credentials: StsCredentials;
  /** `hit`: cached; `miss`: this call asked STS; `coalesced`: shared a concurrent call; `stale`: cached, served because STS failed. */
  readonly cache: 'hit' | 'miss' | 'coalesced' | 'stale';
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
  readonly now?: () => number;
}

const FALLBACK_CODES = new Set(['StsThrottled', 'StsUnavailable', 'StsInvalidResponse']);

/**
 * The cached, single-flight path to STS credentials shared by both functions.
 *
 * @example
 * ```ts
 * const provider = new CredentialProvider({ sts: new StsClient({ endpoint }) });
 * const { credentials, cache } = await provider.get(functionCredentials, request);
 * ```
 */
export class CredentialProvider {
  private readonly entries = new Map<string, StsCredentials>();
  private readonly pending = new Map<string, Promise<ProvidedCredentials>>();
  private readonly maxEntries: number;
  private readonly freshForMs: number;
  private readonly staleForMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CredentialProviderOptions) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.freshForMs = options.freshForMs ?? 10 * 60_000;
    this.staleForMs = options.staleForMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The number of cached entries. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Cached credentials for `request`, or new ones from STS signed with `caller`.
   *
   * @param minValidityMs serve a cached entry only if it stays valid this long (at least the
   *   provider's freshness margin, or when STS fails its stale margin), such as the lifetime of a
   *   presigned URL about to be signed.
   * @throws the STS client's {@link TvmError} when STS fails and no usable entry is cached.
   */
  async get(caller: AccessCredentials, request: CredentialRequest, minValidityMs = 0): Promise<ProvidedCredentials> {
    const key = cacheKey(request);
    const cached = this.lookup(key, Math.max(this.freshForMs, minValidityMs));
    if (cached) return { credentials: cached, cache: 'hit' };
    const inFlight = this.pending.get(key);
    const call = inFlight ?? this.fetch(key, caller, request).finally(() => this.pending.delete(key));
    if (!inFlight) this.pending.set(key, call);
    try {
      const provided = await call;
      return inFlight ? { ...provided, cache: 'coalesced' } : provided;
    } catch (error) {
      // Each caller falls back on its own terms: only to an entry that still covers what it needs.
      const stale = error instanceof TvmError && FALLBACK_CODES.has(error.code) ? this.lookup(key, Math.max(this.staleForMs, minValidityMs)) : undefined;
      if (stale) return { credentials: stale, cache: 'stale' };
      throw error;
    }
  }

  private async fetch(key: string, caller: AccessCredentials, request: CredentialRequest): Promise<ProvidedCredentials> {
    const { credentials, requestId } = await this.options.sts.assumeRole(caller, request);
    this.store(key, credentials);
    return { credentials, cache: 'miss', stsRequestId: requestId };
  }

  private lookup(key: string, minimumValidityMs: number): StsCredentials | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const remaining = entry.expiration.getTime() - this.now();
    if (remaining < this.staleForMs) {
      this.entries.delete(key);
      return undefined;
    }
    if (remaining < minimumValidityMs) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private store(key: string, credentials: StsCredentials): void {
    this.entries.delete(key);
    this.entries.set(key, credentials);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

function cacheKey(request: CredentialRequest): string {
  return createHash('sha256')
    .update([request.roleArn, request.identity, request.scope, request.durationSeconds, request.policy].join('\n'))
    .digest('base64url');
}
