/** The credential cache in front of the STS emulator. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import { type CredentialRequest, CredentialProvider } from '../../shared/sts/credential-provider';
import { StsClient } from '../../shared/sts/sts-client';
import { StsEmulator } from '../../local/sts-emulator';

let sts: StsEmulator;
let caller: { accessKeyId: string; accessKeySecret: string; securityToken: string };

function request(identity: string, overrides: Partial<CredentialRequest> = {}): CredentialRequest {
  const policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:photos/users/${identity}/*"]}]}`;
  return { roleArn: sts.defaultRoleArn, identity, scope: 'user', policy, roleSessionName: identity, durationSeconds: 3600, ...overrides };
}

function provider(options: { maxEntries?: number; now?: () => number } = {}): CredentialProvider {
  return new CredentialProvider({ sts: new StsClient({ endpoint: sts.url, attemptTimeoutMs: 300, retry: { maxAttempts: 1 } }), ...options });
}

beforeAll(async () => {
  sts = await StsEmulator.start();
  caller = sts.createFunctionCredentials();
});
afterEach(() => sts.setFault(null));
afterAll(() => sts.close());

describe('CredentialProvider', () => {
  it('keys entries by identity, scope, policy and role', async () => {
    const credentials = provider();
    const base = await credentials.get(caller, request('alice'));
    const otherScope = await credentials.get(caller, request('alice', { scope: 'shared' }));
    const otherPolicy = await credentials.get(caller, request('alice', { policy: request('alice').policy.replace('GetObject', 'PutObject') }));
    const again = await credentials.get(caller, request('alice'));
    expect(new Set([base, otherScope, otherPolicy].map((result) => result.credentials.accessKeyId)).size).toBe(3);
    expect(again).toMatchObject({ cache: 'hit', credentials: base.credentials });
  });

  it('shares one STS call among concurrent identical misses, and marks the followers', async () => {
    sts.setFault({ kind: 'slow', delayMs: 50 });
    const credentials = provider();
    const before = sts.assumeRoleCalls;
    const results = await Promise.all(Array.from({ length: 100 }, () => credentials.get(caller, request('bob'))));
    expect(sts.assumeRoleCalls - before).toBe(1);
    expect(results.filter((result) => result.cache === 'miss')).toHaveLength(1);
    expect(results.filter((result) => result.cache === 'coalesced')).toHaveLength(99);
  });

  it('shares a failure with concurrent callers but does not keep it', async () => {
    const credentials = provider();
    sts.setFault({ kind: 'server-error' }, { count: 1 });
    const outcomes = await Promise.allSettled([credentials.get(caller, request('carol')), credentials.get(caller, request('carol'))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(TvmError);
    const next = await credentials.get(caller, request('carol'));
    expect(next.cache).toBe('miss');
  });

  it('stays bounded, evicting the least recently used entry', async () => {
    const credentials = provider({ maxEntries: 3 });
    for (const name of ['u1', 'u2', 'u3']) await credentials.get(caller, request(name));
    await credentials.get(caller, request('u1'));
    await credentials.get(caller, request('u4'));
    expect(credentials.size).toBe(3);
    expect((await credentials.get(caller, request('u1'))).cache).toBe('hit');
    expect((await credentials.get(caller, request('u2'))).cache).toBe('miss');
  });

  it('does not serve a stale entry when STS refuses rather than fails', async () => {
    let clock = Date.now();
    const credentials = new CredentialProvider({ sts: new StsClient({ endpoint: sts.url }), now: () => clock });
    await credentials.get(caller, request('dora'));
    clock += 55 * 60_000;
    const refused = await credentials.get({ ...caller, accessKeySecret: 'revoked' }, request('dora')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TvmError);
    expect((refused as TvmError).code).toBe('Sts.SignatureDoesNotMatch');
  });
});
