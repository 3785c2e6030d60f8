/**
 * Loads the Redis store on demand. The build (scripts/build.ts) turns this import into
 * `require('./shared-cache.js')`, a file of its own next to each bundle, so the client library is
 * read only by an instance whose configuration asks for the shared cache.
 */
import type { RedisStoreOptions, SharedStore } from './shared-store';

/** Loads the Redis client and connects to `url` (never logged, never put in an error). */
export async function loadRedisStore(url: string, options: RedisStoreOptions): Promise<SharedStore> {
  const { connectRedisStore } = await import('./redis-store');
  return connectRedisStore(url, options);
}
