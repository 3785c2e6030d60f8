/**
 * The Redis operations of the shared credential cache, in memory on the simulation's clock: what
 * the capacity model's *shared* rows put behind the product's own `SharedCredentialCache`, so that
 * they run the same lookup, sealing, expiry and cross-instance lock as a fleet sharing one Redis.
 * Only the model uses it; the product's store is Redis (shared/sts/shared-cache/redis-store.ts).
 */
import type { SharedStore } from '../../shared/sts/shared-cache/shared-store';

interface Stored {
  readonly value: string;
  readonly expiresAt: number;
}

/** A {@link SharedStore} that never fails and never evicts; entries expire on `clock`. */
export class MemoryStore implements SharedStore {
  private readonly entries = new Map<string, Stored>();

  constructor(private readonly clock: () => number) {}

  /** Entries held, expired ones included until they are next read. */
  get size(): number {
    return this.entries.size;
  }

  get(keys: readonly string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map((key) => this.read(key) ?? null));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock() + ttlMs });
    return Promise.resolve();
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key) !== undefined) return Promise.resolve(false);
    this.entries.set(key, { value, expiresAt: this.clock() + ttlMs });
    return Promise.resolve(true);
  }

  deleteIfEqual(key: string, value: string): Promise<void> {
    if (this.read(key) === value) this.entries.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private read(key: string): string | undefined {
    const stored = this.entries.get(key);
    if (stored === undefined) return undefined;
    if (stored.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return stored.value;
  }
}
