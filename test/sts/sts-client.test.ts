/** The STS client against the STS emulator over loopback HTTP. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AssumeRoleInput, StsClient } from '../../shared/sts/sts-client';
import { StsEmulator } from '../../local/sts-emulator';
import { ManualTimers, drive } from '../helpers/manual-timers';
import { asyncRefusal } from '../helpers/refusal';

let sts: StsEmulator;
let caller: { accessKeyId: string; accessKeySecret: string; securityToken: string };

const policy = '{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:photos/users/alice/*"]}]}';

function input(overrides: Partial<AssumeRoleInput> = {}): AssumeRoleInput {
  return { roleArn: sts.defaultRoleArn, roleSessionName: 'alice', policy, durationSeconds: 900, ...overrides };
}

function client(retry: ConstructorParameters<typeof StsClient>[0]['retry'] = {}, attemptTimeoutMs = 300): StsClient {
  return new StsClient({ endpoint: sts.url, attemptTimeoutMs, retry: { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 2000, ...retry } });
}

beforeAll(async () => {
  sts = await StsEmulator.start();
  caller = sts.createFunctionCredentials();
});
afterEach(() => sts.setFault(null));
afterAll(() => sts.close());

describe('StsClient.assumeRole', () => {
  it('gets credentials for a wildcard session policy, signed with role credentials and their token', async () => {
    const result = await client().assumeRole(caller, input());
    const record = sts.findIssued(result.credentials.accessKeyId);
    expect(record?.policy).toBe(policy);
    expect(record?.callerAccessKeyId).toBe(caller.accessKeyId);
    expect(result.credentials.expiration.getTime()).toBeGreaterThan(Date.now() + 890_000);
    expect(result.requestId).not.toBe('');
  });

  it('is refused by STS without the security token of STS-type caller credentials', async () => {
    const error = await asyncRefusal(client().assumeRole({ accessKeyId: caller.accessKeyId, accessKeySecret: caller.accessKeySecret }, input()));
    expect(error.status).toBe(502);
    expect(error.code).toBe('Sts.MissingSecurityToken');
  });

  it('reports a wrong secret as the STS code SignatureDoesNotMatch, with the STS request id for logs only', async () => {
    const error = await asyncRefusal(client().assumeRole({ ...caller, accessKeySecret: 'wrong' }, input()));
    expect(error.code).toBe('Sts.SignatureDoesNotMatch');
    expect(error.logFields['stsRequestId']).toBeTruthy();
    expect(error.message).not.toContain(error.logFields['stsRequestId']);
  });

  it('does not retry a refusal', async () => {
    const before = sts.assumeRoleCalls;
    await asyncRefusal(client().assumeRole(caller, input({ roleSessionName: 'x' })));
    expect(sts.assumeRoleCalls - before).toBe(1);
  });

  it('retries throttling up to maxAttempts, then answers StsThrottled with Retry-After', async () => {
    sts.setFault({ kind: 'throttle' });
    const before = sts.assumeRoleCalls;
    const error = await asyncRefusal(client({ maxAttempts: 3 }).assumeRole(caller, input()));
    expect(sts.assumeRoleCalls - before).toBe(3);
    expect(error.status).toBe(503);
    expect(error.code).toBe('StsThrottled');
    expect(error.headers['Retry-After']).toMatch(/^\d+$/);
  });

  it.each([
    ['a 5xx', { kind: 'server-error', status: 503 }],
    ['a reset connection', { kind: 'reset' }],
  ] as const)('retries %s and succeeds when STS recovers', async (_case, fault) => {
    sts.setFault(fault, { count: 2 });
    const before = sts.assumeRoleCalls;
    const result = await client({ maxAttempts: 3 }).assumeRole(caller, input());
    expect(sts.assumeRoleCalls - before).toBe(3);
    expect(result.credentials.accessKeyId).toMatch(/^STS\./);
  });

  it('gives up within its total deadline when STS hangs', async () => {
    // Prepare: the client's clock moves when the test moves it; STS never answers.
    sts.setFault({ kind: 'hang' });
    const timers = new ManualTimers();
    const hanging = new StsClient({ endpoint: sts.url, attemptTimeoutMs: 200, random: () => 0.5, timers, retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 700 } });
    const before = sts.assumeRoleCalls;
    // Act: each attempt's 200 ms run out once it has reached STS; each pause passes.
    const error = await drive(timers, asyncRefusal(hanging.assumeRole(caller, input())), {
      allAtSts: () => sts.assumeRoleCalls - before === timers.schedule.filter((entry) => entry.kind === 'timeout').length,
      held: () => true,
    });
    // Assess: attempts of 200 ms and pauses of half the capped backoff, the last attempt cut to
    // what is left of the 700 ms, and the call over at the deadline with attempts to spare.
    expect(error.code).toBe('StsUnavailable');
    expect(timers.schedule).toEqual([
      { kind: 'timeout', at: 0, ms: 200 }, { kind: 'sleep', at: 200, ms: 2 },
      { kind: 'timeout', at: 202, ms: 200 }, { kind: 'sleep', at: 402, ms: 5 },
      { kind: 'timeout', at: 407, ms: 200 }, { kind: 'sleep', at: 607, ms: 10 },
      { kind: 'timeout', at: 617, ms: 83 },
    ]);
    expect(timers.now()).toBe(700);
    expect(sts.assumeRoleCalls - before).toBe(4);
  });

  it('treats a reply slower than the attempt timeout as a timeout', async () => {
    sts.setFault({ kind: 'slow', delayMs: 500 });
    const error = await asyncRefusal(client({ maxAttempts: 1 }, 100).assumeRole(caller, input()));
    expect(error.code).toBe('StsUnavailable');
    expect(error.message).toMatch(/in time/);
  });

  it.each([['malformed-json'], ['wrong-content-type']] as const)('answers StsInvalidResponse for a %s reply, without retrying', async (kind) => {
    sts.setFault({ kind });
    const before = sts.assumeRoleCalls;
    const error = await asyncRefusal(client().assumeRole(caller, input()));
    expect(error.status).toBe(502);
    expect(error.code).toBe('StsInvalidResponse');
    expect(sts.assumeRoleCalls - before).toBe(1);
  });

  it('caps backoff delays at maxDelayMs, with jitter below the cap', async () => {
    const draws: number[] = [];
    sts.setFault({ kind: 'throttle' });
    const timers = new ManualTimers();
    const sampled = new StsClient({
      endpoint: sts.url,
      retry: { maxAttempts: 6, baseDelayMs: 40, maxDelayMs: 100, deadlineMs: 5000 },
      timers,
      random: () => {
        draws.push(timers.now());
        return 0.999;
      },
    });
    await drive(timers, asyncRefusal(sampled.assumeRole(caller, input())));
    // Five waits just under 40, 80, 100, 100, 100 ms (the cap), not the uncapped 40, 80, 160, 320, 640;
    // a draw for each of the six answers.
    expect(timers.schedule.filter((entry) => entry.kind === 'sleep').map((entry) => entry.ms)).toEqual([39, 79, 99, 99, 99]);
    expect(draws).toHaveLength(6);
  });

  it('reports an unreachable endpoint as StsUnavailable', async () => {
    const unreachable = new StsClient({ endpoint: 'http://127.0.0.1:1', retry: { maxAttempts: 2, baseDelayMs: 1, deadlineMs: 1000 } });
    const error = await asyncRefusal(unreachable.assumeRole(caller, input()));
    expect(error.code).toBe('StsUnavailable');
    expect(error.message).not.toContain(caller.securityToken);
  });
});
