/**
 * The few operations of a Redis-protocol store that the shared credential cache uses, so that the
 * cache knows nothing of the client library (loaded only when configured, {@link loadRedisStore})
 * and the capacity model can run the same cache on an in-memory store.
 */

/** A key-value store with expiring entries, as Redis offers it. Every method may reject; none retries. */
export interface SharedStore {
  /** The values of `keys` (`MGET`), `null` for each one absent. */
  get(keys: readonly string[]): Promise<(string | null)[]>;
  /** Sets `key` to `value` for `ttlMs` (`SET key value PX ttl`). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets `key` to `value` for `ttlMs` only if it is absent (`SET key value NX PX ttl`); whether it did. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only while it still holds `value` (atomically, a script). */
  deleteIfEqual(key: string, value: string): Promise<void>;
  /** Closes the connection; pending operations reject. */
  close(): Promise<void>;
}

/** How long the Redis store waits, in ms. */
export interface RedisStoreOptions {
  /** For the connection (TCP and TLS) to be made. */
  readonly connectTimeoutMs: number;
  /** For the answer to one command. */
  readonly commandTimeoutMs: number;
}
