/**
 * The Redis-protocol store (ApsaraDB for Redis, Tair, redis-server) behind the shared credential
 * cache, on ioredis. This module and ioredis are built into a file of their own next to each
 * bundle (`shared-cache.js`), which is loaded only when `TVM_SHARED_CACHE_URL` is set
 * ({@link loadRedisStore}), so a function without the shared cache never parses the client.
 */
import { Redis } from 'ioredis';
import type { RedisStoreOptions, SharedStore } from './shared-store';

/** Deletes KEYS[1] only while it holds ARGV[1]: a lock is released only by its holder. */
const DELETE_IF_EQUAL = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Connects to the store at `url` (`redis://` or `rediss://`, user and password in it if any) and
 * returns at once; commands sent before the connection is up wait for it, within the command
 * timeout. The connection is made again after a failure (backing off up to 2 s), and never keeps
 * the process alive by itself.
 *
 * @example
 * ```ts
 * const store = connectRedisStore('rediss://:password@r-bp1example.redis.rds.aliyuncs.com:6380/0', { connectTimeoutMs: 1000, commandTimeoutMs: 100 });
 * await store.set('key', 'value', 60_000);
 * ```
 */
export function connectRedisStore(url: string, options: RedisStoreOptions): SharedStore {
  const client = new Redis(url, {
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    enableReadyCheck: false,
    // The cache reports trouble itself, once, without the URL; ioredis would otherwise log each
    // connection error to stderr, with the host in it.
    showFriendlyErrorStack: false,
  });
  client.on('error', () => undefined);
  client.on('connect', () => client.stream?.unref?.());
  return {
    async get(keys) {
      return client.mget(...keys);
    },
    async set(key, value, ttlMs) {
      await client.set(key, value, 'PX', ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async deleteIfEqual(key, value) {
      await client.eval(DELETE_IF_EQUAL, 1, key, value);
    },
    async close() {
      client.disconnect();
    },
  };
}
