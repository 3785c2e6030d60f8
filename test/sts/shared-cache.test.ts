/**
 * The shared credential cache on a real redis-server and the STS emulator: instances (each its own
 * provider, cache and connection) share one AssumeRole per identity and scope, concurrent first
 * requests included; entries are sealed, bound to their key and expire with the credentials; and
 * the faults of the store (down, slow, evicting, altered entries, another key, a lock holder that
 * never delivers) cost STS calls, never an error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StsEmulator } from '../../local/sts-emulator';
import { CredentialProvider, type CredentialRequest } from '../../shared/sts/credential-provider';
import { connectRedisStore } from '../../shared/sts/shared-cache/redis-store';
import { SharedCredentialCache } from '../../shared/sts/shared-cache/shared-credential-cache';
import type { SharedStore } from '../../shared/sts/shared-cache/shared-store';
import { type AccessCredentials, StsClient } from '../../shared/sts/sts-client';
import { type RedisServer, bulkValue, startRedisServer } from '../helpers/redis-server';

const KEY = Buffer.alloc(32, 1);
const OTHER_KEY = Buffer.alloc(32, 2);
/** Generous where the test is not about time (the machine may be busy); the product's is 150 ms. */
const RELAXED_MS = 1000;

let sts: StsEmulator;
let redis: RedisServer;
let caller: AccessCredentials;
const opened: SharedStore[] = [];

beforeAll(async () => {
  [sts, redis] = await Promise.all([StsEmulator.start({ latencyMs: 40 }), startRedisServer()]);
  caller = sts.createFunctionCredentials();
});
afterAll(async () => {
  await Promise.all([sts.close(), redis.kill()]);
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await redis.command('FLUSHALL');
});

/** A store that counts the operations it is asked for, around the real Redis store. */
function countingStore(timeoutMs: number): SharedStore & { operations: number } {
  const store = connectRedisStore(redis.url, { connectTimeoutMs: 1000, commandTimeoutMs: timeoutMs });
  opened.push(store);
  const counted = {
    operations: 0,
    get: (keys: readonly string[]) => (counted.operations++, store.get(keys)),
    set: (key: string, value: string, ttlMs: number) => (counted.operations++, store.set(key, value, ttlMs)),
    setIfAbsent: (key: string, value: string, ttlMs: number) => (counted.operations++, store.setIfAbsent(key, value, ttlMs)),
    deleteIfEqual: (key: string, value: string) => (counted.operations++, store.deleteIfEqual(key, value)),
    close: () => store.close(),
  };
  return counted;
}

interface Instance {
  readonly provider: CredentialProvider;
  readonly store: SharedStore & { operations: number };
  readonly events: string[];
}

/** One function instance: its own provider and connection, the fleet's Redis. */
function instance(options: { key?: Uint8Array; breakMs?: number; waitMs?: number; timeoutMs?: number } = {}): Instance {
  const store = countingStore(options.timeoutMs ?? RELAXED_MS);
  const events: string[] = [];
  const shared = new SharedCredentialCache({
    store,
    key: options.key ?? KEY,
    operationTimeoutMs: options.timeoutMs ?? RELAXED_MS,
    breakMs: options.breakMs ?? 10_000,
    waitMs: options.waitMs ?? 2000,
    log: (level, message, fields) => events.push(JSON.stringify({ level, message, ...fields })),
  });
  return { provider: new CredentialProvider({ sts: new StsClient({ endpoint: sts.url }), shared }), store, events };
}

function requestFor(identity: string): CredentialRequest {
  const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:photos/users/${identity}/*`] }] });
  return { roleArn: sts.defaultRoleArn, identity, scope: 'user', policy, roleSessionName: identity, durationSeconds: 3600 };
}

const get = (from: Instance, identity: string) => from.provider.get(caller, requestFor(identity), { now: Date.now() });

async function storedEntries(): Promise<string[]> {
  const reply = await redis.command('KEYS', 'oss-tvm:*:credentials');
  return [...reply.matchAll(/\$\d+\r\n([^\r]+)\r\n/g)].map((match) => match[1] as string);
}

describe('instances sharing one Redis', () => {
  it('call AssumeRole once for an identity and scope: the second instance gets the first one\'s credentials', async () => {
    const before = sts.assumeRoleCalls;
    const [a, b] = [instance(), instance()];
    const first = await get(a, 'alice');
    const second = await get(b, 'alice');
    expect([first.cache, second.cache]).toEqual(['miss', 'shared']);
    expect(second.credentials).toEqual(first.credentials);
    expect((await get(b, 'alice')).cache).toBe('hit');
    expect(sts.assumeRoleCalls - before).toBe(1);
  });

  it('share one AssumeRole among concurrent first requests on eight instances', async () => {
    const before = sts.assumeRoleCalls;
    const fleet = Array.from({ length: 8 }, () => instance());
    const results = await Promise.all(fleet.map((each) => get(each, 'carol')));
    expect(sts.assumeRoleCalls - before).toBe(1);
    expect(results.map((result) => result.cache).sort()).toEqual(['miss', ...Array(7).fill('shared')]);
    expect(new Set(results.map((result) => result.credentials.accessKeyId)).size).toBe(1);
  });

  it('call STS themselves when the lock holder does not deliver within the wait', async () => {
    const before = sts.assumeRoleCalls;
    const [a, b] = [instance({ waitMs: 300 }), instance()];
    await get(a, 'dave');
    await redis.command('FLUSHALL');
    // An instance that took the lock and then vanished (its lock outlives it for a while).
    const lockName = (await storedEntriesAfter(b, 'erin')).replace(/:credentials$/, ':lock');
    await redis.command('FLUSHALL');
    await redis.command('SET', lockName, 'vanished', 'PX', '60000');
    const started = Date.now();
    const result = await get(a, 'erin');
    expect(result.cache).toBe('miss');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(sts.assumeRoleCalls - before).toBe(3);
  });
});

/** The entry name `identity`'s credentials are stored under, found by asking for them once. */
async function storedEntriesAfter(from: Instance, identity: string): Promise<string> {
  await get(from, identity);
  const names = await storedEntries();
  expect(names).toHaveLength(1);
  return names[0] as string;
}

describe('entries', () => {
  it('are sealed: the stored value holds none of the credentials, and the name not the identity', async () => {
    const a = instance();
    const { credentials } = await get(a, 'frank');
    const [name] = await storedEntries();
    expect(name).not.toContain('frank');
    const raw = bulkValue(await redis.command('GET', name as string)) ?? '';
    expect(raw).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
    for (const secret of [credentials.accessKeyId, credentials.accessKeySecret, credentials.securityToken]) {
      expect(raw).not.toContain(secret);
      expect(Buffer.from(raw.slice(3), 'base64url').toString('latin1')).not.toContain(secret);
    }
  });

  it('expire when instances would stop serving them: 10 minutes before the credentials', async () => {
    const a = instance();
    const { credentials } = await get(a, 'grace');
    const [name] = await storedEntries();
    const ttlMs = Number((await redis.command('PTTL', name as string)).slice(1));
    const expected = credentials.expiration.getTime() - Date.now() - 10 * 60_000;
    expect(Math.abs(ttlMs - expected)).toBeLessThan(2000);
  });

  it('that were altered are misses, replaced with credentials from STS', async () => {
    const before = sts.assumeRoleCalls;
    const a = instance();
    const first = await get(a, 'heidi');
    const [name] = await storedEntries();
    const raw = bulkValue(await redis.command('GET', name as string)) as string;
    const flipped = raw.slice(0, 20) + (raw[20] === 'A' ? 'B' : 'A') + raw.slice(21);
    await redis.command('SET', name as string, flipped, 'PX', '600000');
    const b = instance();
    const second = await get(b, 'heidi');
    expect(second.cache).toBe('miss');
    expect(second.credentials.accessKeyId).not.toBe(first.credentials.accessKeyId);
    expect(sts.assumeRoleCalls - before).toBe(2);
    expect(bulkValue(await redis.command('GET', name as string))).not.toBe(flipped);
    expect(b.events).toHaveLength(1);
  });

  it('moved to another identity\'s name never give that identity the first one\'s credentials', async () => {
    const a = instance();
    const alice = await get(a, 'ivan');
    const [aliceName] = await storedEntries();
    const aliceEntry = bulkValue(await redis.command('GET', aliceName as string)) as string;
    await get(a, 'judy');
    const judyName = (await storedEntries()).find((name) => name !== aliceName) as string;
    await redis.command('SET', judyName, aliceEntry, 'PX', '600000');
    const before = sts.assumeRoleCalls;
    const judy = await get(instance(), 'judy');
    expect(judy.cache).toBe('miss');
    expect(judy.credentials.accessKeyId).not.toBe(alice.credentials.accessKeyId);
    expect(sts.assumeRoleCalls - before).toBe(1);
  });

  it('sealed under another key are misses (logged once), never errors', async () => {
    const before = sts.assumeRoleCalls;
    await get(instance(), 'mallory');
    await get(instance(), 'niaj');
    const other = instance({ key: OTHER_KEY });
    expect((await get(other, 'mallory')).cache).toBe('miss');
    expect((await get(other, 'niaj')).cache).toBe('miss');
    expect(sts.assumeRoleCalls - before).toBe(4);
    expect(other.events).toHaveLength(1);
    expect(other.events[0]).toContain('cannot open');
  });
});

describe('a store in trouble', () => {
  it('down: requests are served by STS, the store is left alone for the break, then used again', async () => {
    const a = instance({ breakMs: 400, timeoutMs: 100 });
    await redis.kill();
    try {
      const before = sts.assumeRoleCalls;
      const first = await get(a, 'olivia');
      expect(first.cache).toBe('miss');
      const operations = a.store.operations;
      for (const identity of ['peggy', 'rupert', 'sybil']) {
        const started = Date.now();
        expect((await get(a, identity)).cache).toBe('miss');
        expect(Date.now() - started).toBeLessThan(1000);
      }
      expect(a.store.operations).toBe(operations);
      expect(sts.assumeRoleCalls - before).toBe(4);
      expect(a.events).toHaveLength(1);
      expect(JSON.parse(a.events[0] as string)).toMatchObject({ level: 'warn', retryInMs: 400 });
    } finally {
      await redis.restart();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    // ioredis reconnects on its own; the first operation after the break finds it up again.
    let outcome = (await get(a, 'trent')).cache;
    for (let tries = 0; tries < 20 && a.events.length < 2; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 450));
      outcome = (await get(a, `trent-${tries}`)).cache;
    }
    expect(outcome).toBe('miss');
    expect(a.events).toHaveLength(2);
    expect(JSON.parse(a.events[1] as string)).toMatchObject({ level: 'info' });
    expect((await get(instance(), 'trent')).cache).toBe('shared');
  });

  it('slow: a paused server costs each request at most the operation timeout, then nothing while the breaker is open', async () => {
    const a = instance();
    await get(a, 'victor');
    await redis.command('CLIENT', 'PAUSE', '700', 'ALL');
    const started = Date.now();
    const result = await get(instance({ timeoutMs: 100 }), 'victor');
    const firstMs = Date.now() - started;
    expect(result.cache).toBe('miss');
    expect(firstMs).toBeLessThan(100 + 500);
    const b = instance({ timeoutMs: 100 });
    await get(b, 'walter');
    const again = Date.now();
    expect((await get(b, 'wendy')).cache).toBe('miss');
    expect(Date.now() - again).toBeLessThan(400);
    await redis.command('CLIENT', 'UNPAUSE');
  });

  it('evicting: entries flushed or refused for memory are misses, every request is served', async () => {
    const [a, b] = [instance({ breakMs: 50 }), instance({ breakMs: 50 })];
    await get(a, 'xavier');
    await redis.command('FLUSHALL');
    expect((await get(b, 'xavier')).cache).toBe('miss');
    await redis.command('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    await redis.command('CONFIG', 'SET', 'maxmemory', '1');
    try {
      const identities = Array.from({ length: 10 }, (_, index) => `user-${index}`);
      const results = await Promise.all(identities.flatMap((identity) => [get(a, identity), get(b, identity)]));
      expect(results).toHaveLength(20);
      for (const result of results) expect(['miss', 'coalesced', 'shared']).toContain(result.cache);
    } finally {
      await redis.command('CONFIG', 'SET', 'maxmemory', '0');
    }
  });
});
