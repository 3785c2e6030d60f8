/** The identity provider's key set: fetched once, kept, refreshed for rotated keys, shared fetches. */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRemoteKeySet } from '../../shared/auth/remote-key-set';
import { type JwksServer, type TestKeyPair, testKeys, signToken, startJwksServer } from '../helpers/jwt';
import { jwtVerify } from 'jose';

let first: TestKeyPair;
let second: TestKeyPair;

beforeAll(async () => {
  [first, second] = await Promise.all([testKeys('RS256'), testKeys('RS256', 'second')]);
});
afterEach(() => {
  vi.useRealTimers();
});

const entry = (keys: TestKeyPair, kid: string) => ({ ...keys.publicJwk, kid, alg: 'RS256' });
const token = (keys: TestKeyPair, kid: string) => signToken({ key: keys.privateKey, alg: 'RS256', kid, expiresIn: 3600 });

async function withServer(run: (server: JwksServer) => Promise<void>): Promise<void> {
  const server = await startJwksServer({ keys: [entry(first, 'k1')] });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

describe('createRemoteKeySet', () => {
  it('fetches the key set once for concurrent first verifications', async () => {
    await withServer(async (server) => {
      const keys = createRemoteKeySet(new URL(server.url), { timeoutMs: 1000, cooldownMs: 30_000, maxAgeMs: 600_000 });
      const jwt = await token(first, 'k1');
      await Promise.all(Array.from({ length: 10 }, () => jwtVerify(jwt, keys)));
      expect(server.requests).toBe(1);
    });
  });

  it('picks up a rotated key once the cooldown has passed, and not before', async () => {
    await withServer(async (server) => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const keys = createRemoteKeySet(new URL(server.url), { timeoutMs: 1000, cooldownMs: 30_000, maxAgeMs: 600_000 });
      await jwtVerify(await token(first, 'k1'), keys);
      server.setJwks({ keys: [entry(first, 'k1'), entry(second, 'k2')] });
      const rotated = await token(second, 'k2');
      await expect(jwtVerify(rotated, keys)).rejects.toThrow();
      expect(server.requests).toBe(1);
      vi.setSystemTime(Date.now() + 31_000);
      expect((await jwtVerify(rotated, keys)).payload.sub).toBe('alice');
      expect(server.requests).toBe(2);
    });
  });

  it('fetches the key set again once it is older than its maximum age', async () => {
    await withServer(async (server) => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const keys = createRemoteKeySet(new URL(server.url), { timeoutMs: 1000, cooldownMs: 30_000, maxAgeMs: 600_000 });
      const jwt = await token(first, 'k1');
      await jwtVerify(jwt, keys);
      vi.setSystemTime(Date.now() + 599_000);
      await jwtVerify(jwt, keys);
      expect(server.requests).toBe(1);
      vi.setSystemTime(Date.now() + 2_000);
      await jwtVerify(jwt, keys);
      expect(server.requests).toBe(2);
    });
  });
});
