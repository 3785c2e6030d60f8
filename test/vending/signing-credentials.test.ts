/**
 * signingCredentials: which credentials sign for a caller, decided at the request's one clock
 * reading, with STS behind a recording client (the decisions before STS are what is tested here;
 * test/faults/sts-quota.test.ts drives the real handlers against the STS emulator).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config';
import { TvmError } from '../../shared/errors';
import type { Invocation } from '../../shared/http/function-handler';
import type { AccessCredentials, AssumeRoleClient, AssumeRoleInput, AssumeRoleResult } from '../../shared/sts/sts-client';
import { type AuthorizedCaller, type VendingService, createVendingService } from '../../shared/vending/caller-credentials';
import { signingCredentials } from '../../shared/vending/signing-credentials';
import { testEnvironment } from '../helpers/jwt';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const SECOND = 1000;
const FUNCTION_CREDENTIALS: AccessCredentials = { accessKeyId: 'STS.function', accessKeySecret: 'function-secret', securityToken: 'function-token' };

/** An STS that issues credentials lasting `lifetimeSeconds` from NOW (by default what was asked) and counts the calls. */
class CountingSts implements AssumeRoleClient {
  calls = 0;
  constructor(private readonly lifetimeSeconds?: number) {}
  async assumeRole(_caller: AccessCredentials, input: AssumeRoleInput): Promise<AssumeRoleResult> {
    this.calls += 1;
    const lifetime = this.lifetimeSeconds ?? input.durationSeconds;
    const credentials = { accessKeyId: `STS.${this.calls}`, accessKeySecret: 'secret', securityToken: 'token', expiration: new Date(NOW + lifetime * SECOND) };
    return { credentials, requestId: `sts-${this.calls}` };
  }
}

function setup(environment: Record<string, string> = {}, sts = new CountingSts()): { service: VendingService; sts: CountingSts; invocation: Invocation; caller: AuthorizedCaller } {
  const service = createVendingService(loadConfig(testEnvironment(environment)), { sts, now: () => NOW });
  const invocation: Invocation = { request: { method: 'POST', path: '/', headers: {}, query: {}, body: Buffer.alloc(0) }, requestId: 'req-1', functionCredentials: FUNCTION_CREDENTIALS, log: {} };
  const caller: AuthorizedCaller = {
    identity: 'alice',
    scope: { name: 'user', definition: { prefix: 'users/${sub}/', actions: ['read'] } },
    policy: { document: { Version: '1', Statement: [] }, json: '{"Version":"1","Statement":[]}', prefix: 'users/alice/' },
  };
  return { service, sts, invocation, caller };
}

describe('signingCredentials', () => {
  it('refuses, before any STS call, a URL that even new credentials of TVM_DURATION_SECONDS would not outlive, naming the latest Expires', async () => {
    const { service, sts, invocation, caller } = setup({ TVM_DURATION_SECONDS: '900' });

    const refused = await signingCredentials(service, invocation, caller, { now: NOW, validUntil: NOW + 900 * SECOND + 1 }).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(TvmError);
    expect(refused).toMatchObject({ status: 403, code: 'DateOutOfRange' });
    expect((refused as TvmError).message).toBe(
      'A presigned URL may not outlive the credentials that sign it, and new credentials last 900 seconds; choose an Expires no later than 2026-12-01T12:15:00Z.',
    );
    expect(sts.calls).toBe(0);
  });

  it('signs a URL that new credentials would exactly outlive, with scoped credentials and their expiry', async () => {
    const { service, sts, invocation, caller } = setup({ TVM_DURATION_SECONDS: '900' });

    const signing = await signingCredentials(service, invocation, caller, { now: NOW, validUntil: NOW + 900 * SECOND });

    expect(signing).toMatchObject({ credentials: { accessKeyId: 'STS.1' }, expiration: new Date(NOW + 900 * SECOND) });
    expect(sts.calls).toBe(1);
    expect(invocation.log.cache).toBe('miss');
  });

  it('refuses a URL that the credentials STS issued would not outlive (STS gave less than asked for)', async () => {
    const { service, sts, invocation, caller } = setup({}, new CountingSts(600));

    const refused = await signingCredentials(service, invocation, caller, { now: NOW, validUntil: NOW + 1800 * SECOND }).catch((error: unknown) => error);

    expect(refused).toMatchObject({ status: 403, code: 'DateOutOfRange' });
    expect((refused as TvmError).message).toMatch(/the signing credentials expire first; choose an Expires no later than 2026-12-01T12:10:00Z\.$/);
    expect(sts.calls).toBe(1);
  });

  it('signs with the function role’s own credentials in function mode, without STS and whatever the URL', async () => {
    const { service, sts, invocation, caller } = setup({ TVM_SIGNING_CREDENTIALS: 'function' });

    const signing = await signingCredentials(service, invocation, caller, { now: NOW, validUntil: NOW + 1800 * SECOND });

    expect(signing).toEqual({ credentials: FUNCTION_CREDENTIALS });
    expect(sts.calls).toBe(0);
  });
});
