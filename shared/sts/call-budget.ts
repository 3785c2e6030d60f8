/**
 * A per-instance budget of STS calls per key (identity and scope): a token bucket of
 * `callsPerHour` calls, refilled evenly over the hour. Its bookkeeping is a bounded LRU, like the
 * credential cache: a key it forgets starts afresh with a full bucket, so under memory pressure
 * the budget errs towards serving, never towards refusing someone it no longer remembers.
 */
import { setMostRecent } from './recent-map';

/** Options of {@link CallBudget}. */
export interface CallBudgetOptions {
  /** Calls one key may make at once, and per hour once spent. */
  readonly callsPerHour: number;
  /** Most keys remembered; the least recently charged go first. */
  readonly maxKeys: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
}

const HOUR_MS = 3_600_000;
/** Refills are sums of fractions: a bucket this close to a whole call holds one (a client that waited Retry-After is served). */
const ROUNDING = 1e-9;

/**
 * Counts STS calls per key against a budget.
 *
 * @example
 * ```ts
 * const budget = new CallBudget({ callsPerHour: 60, maxKeys: 10_000 });
 * const wait = budget.take(key, now);
 * if (wait !== undefined) throw tooManyRequests(wait); // no STS call
 * ```
 */
export class CallBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: CallBudgetOptions) {}

  /** The number of keys remembered. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Spends one call of `key` at `now` (ms).
   *
   * @returns `undefined` when the call may go ahead; otherwise the whole seconds until it may,
   *   and nothing is spent.
   */
  take(key: string, now: number): number | undefined {
    const { callsPerHour } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: callsPerHour, at: now };
    // A clock that went back refills nothing; it never takes calls away either.
    bucket.tokens = Math.min(callsPerHour, bucket.tokens + (Math.max(0, now - bucket.at) * callsPerHour) / HOUR_MS);
    bucket.at = Math.max(bucket.at, now);
    setMostRecent(this.buckets, key, bucket, this.options.maxKeys);
    if (bucket.tokens >= 1 - ROUNDING) {
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      return undefined;
    }
    const waitMs = Math.ceil(((1 - bucket.tokens) * HOUR_MS) / callsPerHour);
    return Math.max(1, Math.ceil(waitMs / 1000));
  }
}
