/** The credential cache in front of the STS emulator. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import { CallBudget } from '../../shared/sts/call-budget';
import { type CredentialRequest, CredentialProvider } from '../../shared/sts/credential-provider';
import { StsClient } from '../../shared/sts/sts-client';
import { StsEmulator } from '../../local/sts-emulator';

const MINUTE = 60_000;

let sts: StsEmulator;
let caller: { accessKeyId: string; accessKeySecret: string; securityToken: string };

function request(identity: string, overrides: Partial<CredentialRequest> = {}): CredentialRequest {
  const policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:photos/users/${identity}/*"]}]}`;
  return { roleArn: sts.defaultRoleArn, identity, scope: 'user', policy, roleSessionName: identity, durationSeconds: 3600, ...overrides };
}

function provider(options: { maxEntries?: number; budget?: CallBudget } = {}): CredentialProvider {
  return new CredentialProvider({ sts: new StsClient({ endpoint: sts.url, attemptTimeoutMs: 300, retry: { maxAttempts: 1 } }), ...options });
}

/** Now, as one request reads it. */
const now = () => ({ now: Date.now() });

beforeAll(async () => {
  sts = await StsEmulator.start();
  caller = sts.createFunctionCredentials();
});
afterEach(() => sts.setFault(null));
afterAll(() => sts.close());

describe('CredentialProvider', () => {
  it('keys entries by identity, scope, policy and role', async () => {
    const credentials = provider();
    const base = await credentials.get(caller, request('alice'), now());
    const otherScope = await credentials.get(caller, request('alice', { scope: 'shared' }), now());
    const otherPolicy = await credentials.get(caller, request('alice', { policy: request('alice').policy.replace('GetObject', 'PutObject') }), now());
    const again = await credentials.get(caller, request('alice'), now());
    expect(new Set([base, otherScope, otherPolicy].map((result) => result.credentials.accessKeyId)).size).toBe(3);
    expect(again).toMatchObject({ cache: 'hit', credentials: base.credentials });
  });

  it('shares one STS call among concurrent identical misses, and marks the followers', async () => {
    sts.setFault({ kind: 'slow', delayMs: 50 });
    const credentials = provider();
    const before = sts.assumeRoleCalls;
    const results = await Promise.all(Array.from({ length: 100 }, () => credentials.get(caller, request('bob'), now())));
    expect(sts.assumeRoleCalls - before).toBe(1);
    expect(results.filter((result) => result.cache === 'miss')).toHaveLength(1);
    expect(results.filter((result) => result.cache === 'coalesced')).toHaveLength(99);
  });

  it('shares a failure with concurrent callers but does not keep it', async () => {
    const credentials = provider();
    sts.setFault({ kind: 'server-error' }, { count: 1 });
    const outcomes = await Promise.allSettled([credentials.get(caller, request('carol'), now()), credentials.get(caller, request('carol'), now())]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(TvmError);
    const next = await credentials.get(caller, request('carol'), now());
    expect(next.cache).toBe('miss');
  });

  it('stays bounded, evicting the least recently used entry', async () => {
    const credentials = provider({ maxEntries: 3 });
    for (const name of ['u1', 'u2', 'u3']) await credentials.get(caller, request(name), now());
    await credentials.get(caller, request('u1'), now());
    await credentials.get(caller, request('u4'), now());
    expect(credentials.size).toBe(3);
    expect((await credentials.get(caller, request('u1'), now())).cache).toBe('hit');
    expect((await credentials.get(caller, request('u2'), now())).cache).toBe('miss');
  });

  it('does not serve a stale entry when STS refuses rather than fails', async () => {
    const credentials = provider();
    const issued = await credentials.get(caller, request('dora'), now());
    const later = { now: issued.credentials.expiration.getTime() - 6 * MINUTE };
    const refused = await credentials.get({ ...caller, accessKeySecret: 'revoked' }, request('dora'), later).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TvmError);
    expect((refused as TvmError).code).toBe('Sts.SignatureDoesNotMatch');
  });

  describe('judges an entry at the asking request’s clock reading', () => {
    it('serves an entry up to the very millisecond it expires at, when that is all the request needs, whenever it is asked', async () => {
      // Prepare: an entry, and a request that read its clock 50 minutes before the entry expires.
      const credentials = provider();
      const { credentials: cached } = await credentials.get(caller, request('erin'), now());
      const expiresAt = cached.expiration.getTime();
      const reading = expiresAt - 50 * MINUTE;
      const before = sts.assumeRoleCalls;

      // Act: asked (in real time, later than the reading) for validity until exactly the expiry, then one ms more.
      const exact = await credentials.get(caller, request('erin'), { now: reading, validUntil: expiresAt });
      const beyond = await credentials.get(caller, request('erin'), { now: reading, validUntil: expiresAt + 1 });

      // Assess
      expect(exact).toMatchObject({ cache: 'hit', credentials: cached });
      expect(beyond.cache).toBe('miss');
      expect(beyond.credentials.accessKeyId).not.toBe(cached.accessKeyId);
      expect(sts.assumeRoleCalls - before).toBe(1);
    });

    it('does not serve an entry with less than 10 minutes left at the reading, however little the request needs', async () => {
      const credentials = provider();
      const { credentials: cached } = await credentials.get(caller, request('finn'), now());
      const expiresAt = cached.expiration.getTime();
      expect((await credentials.get(caller, request('finn'), { now: expiresAt - 10 * MINUTE })).cache).toBe('hit');
      expect((await credentials.get(caller, request('finn'), { now: expiresAt - 10 * MINUTE + 1 })).cache).toBe('miss');
    });
  });

  describe('with an STS budget', () => {
    it('refuses with 429 TooManyRequests and Retry-After once the key’s budget is spent, without calling STS', async () => {
      // Prepare: two calls an hour; STS fails, so every request calls it.
      const credentials = provider({ budget: new CallBudget({ callsPerHour: 2, maxKeys: 100 }) });
      sts.setFault({ kind: 'server-error' });
      const at = { now: Date.now() };
      const before = sts.assumeRoleCalls;

      // Act
      const outcomes = [];
      for (let index = 0; index < 4; index++) outcomes.push(await credentials.get(caller, request('gail'), at).catch((error: unknown) => error as TvmError));

      // Assess: two STS calls that failed, then two refusals naming half an hour.
      expect(sts.assumeRoleCalls - before).toBe(2);
      expect(outcomes.map((error) => `${(error as TvmError).status} ${(error as TvmError).code}`)).toEqual(['503 StsUnavailable', '503 StsUnavailable', '429 TooManyRequests', '429 TooManyRequests']);
      expect((outcomes[2] as TvmError).headers).toEqual({ 'Retry-After': '1800' });
      expect((outcomes[2] as TvmError).message).toBe('Too many new credentials were requested for this user and scope; try again in 1800 seconds.');
      // Another identity has its own budget.
      await expect(credentials.get(caller, request('hank'), at)).rejects.toMatchObject({ code: 'StsUnavailable' });
      expect(sts.assumeRoleCalls - before).toBe(3);
    });

    it('charges a call once however many concurrent requests share it', async () => {
      const credentials = provider({ budget: new CallBudget({ callsPerHour: 1, maxKeys: 100 }) });
      sts.setFault({ kind: 'slow', delayMs: 50 });
      const at = { now: Date.now() };
      const shared = await Promise.all(Array.from({ length: 50 }, () => credentials.get(caller, request('ivan'), at)));
      expect(shared.map((result) => result.cache).filter((cache) => cache === 'miss')).toHaveLength(1);
      // The one call of the hour is spent: a renewal now is refused…
      const renewal = await credentials.get(caller, request('ivan'), { now: at.now, validUntil: at.now + 2 * 3600_000 }).catch((error: unknown) => error);
      expect(renewal).toMatchObject({ status: 429, code: 'TooManyRequests' });
      // …and an hour on, one call is due again.
      expect((await credentials.get(caller, request('ivan'), { now: at.now + 3600_000 })).cache).toBe('miss');
    });

    it('serves a cached entry with at least 5 minutes left, that covers the request, instead of the 429', async () => {
      // Prepare: the only call of the hour made; the entry then ages to 6 minutes left.
      const credentials = provider({ budget: new CallBudget({ callsPerHour: 1, maxKeys: 100 }) });
      const first = await credentials.get(caller, request('jane'), now());
      const expiresAt = first.credentials.expiration.getTime();
      const before = sts.assumeRoleCalls;
      const reading = expiresAt - 6 * MINUTE;

      // Act
      const covered = await credentials.get(caller, request('jane'), { now: reading, validUntil: expiresAt });
      const notCovered = await credentials.get(caller, request('jane'), { now: reading, validUntil: expiresAt + 1 }).catch((error: unknown) => error);
      const tooOld = await credentials.get(caller, request('jane'), { now: expiresAt - 4 * MINUTE }).catch((error: unknown) => error);

      // Assess: 54 and 56 minutes after the hour's only call, no call is made.
      expect(covered).toMatchObject({ cache: 'stale', credentials: first.credentials });
      expect(notCovered).toMatchObject({ status: 429, code: 'TooManyRequests' });
      expect(tooOld).toMatchObject({ status: 429, code: 'TooManyRequests' });
      expect(sts.assumeRoleCalls - before).toBe(0);
    });
  });
});
