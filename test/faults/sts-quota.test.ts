/**
 * One user against the account's AssumeRole quota (100 calls per second, shared by every user),
 * through the real handlers and the STS emulator, which counts the calls it receives:
 * - presigned URLs at the maximum TTL are signed from the cache whenever the cached credentials
 *   outlive them, so a whole credential lifetime of them costs at most 2 AssumeRole calls;
 * - beyond the per-instance budget of AssumeRole calls per identity and scope, the caller gets
 *   429 TooManyRequests with Retry-After, and STS is not called;
 * - an SDK refreshing at the shortest duration never meets the default budget.
 *
 * Handlers, STS client (its request timestamps) and STS run on one clock the test moves, so a
 * credential lifetime passes in a moment and every expiry is judged on the same time line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config';
import { StsClient } from '../../shared/sts/sts-client';
import { functionEnvironment } from '../helpers/function-environment';
import {
  type Outcome, type Rig, createFunctions, expectOneLogLinePerRequest, failOnProcessErrors, presignedGet, problemsOf, putObject, request, resultOf, startRig, tally,
} from './harness';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

let clock = 0;
let rig: Rig;
failOnProcessErrors();

beforeAll(async () => {
  rig = await startRig(['mallory', 'alice', 'bob'], { now: () => clock });
  // The app role allows sessions of up to 12 hours, so every TVM_DURATION_SECONDS can be tried.
  rig.sts.addRole({ arn: rig.sts.defaultRoleArn, maxSessionDuration: 43200 });
});
afterEach(() => rig.sts.setFault(null));
afterAll(() => rig.close());

/** Both functions with an empty cache, on the test's clock (from a whole second), with one STS attempt per request. */
function instances(environment: Record<string, string> = {}) {
  clock = Math.floor(Date.now() / SECOND) * SECOND;
  const sts = new StsClient({ endpoint: rig.sts.url, now: () => clock, attemptTimeoutMs: 2000, retry: { maxAttempts: 1 } });
  return createFunctions(rig, { sts, now: () => clock, environment });
}

/** The expiry of the credentials that made a 200. */
function credentialsExpiry(outcome: Outcome): number {
  const accessKeyId = /^OSS ([^:]+):/.exec(outcome.response?.body ?? '')?.[1] ?? '';
  return Date.parse(rig.sts.findIssued(accessKeyId)?.issued.expiration ?? '');
}

describe('presigned URLs at the maximum TTL, one user, one instance', () => {
  it.each([
    // [TVM_DURATION_SECONDS, AssumeRole calls at most over one lifetime]
    ['3600', 2],
    ['7200', 2],
    // At the shortest duration the 10-minute freshness margin (for the SDKs' refresh) is longer than the TTL.
    ['900', 3],
  ] as const)('with TVM_DURATION_SECONDS=%s: 1,000 signings spread over one credential lifetime, each URL at the maximum TTL, cost at most %i AssumeRole', async (duration, maxCalls) => {
    // Prepare: the longest URL the configuration accepts (by default half the duration).
    const environment = { TVM_DURATION_SECONDS: duration };
    const ttlSeconds = loadConfig(functionEnvironment(rig.sts, rig.issuer, environment)).signing.maxUrlTtlSeconds;
    const functions = instances(environment);
    const lifetime = Number(duration) * SECOND;
    const callsBefore = rig.sts.assumeRoleCalls;

    // Act: one signing every lifetime/1,000, the clock moving on between them.
    const outcomes: Outcome[] = [];
    for (let index = 0; index < 1000; index++) {
      const content = presignedGet('mallory', clock + ttlSeconds * SECOND);
      outcomes.push(await request(rig, functions, 'sign-request', 'mallory', { now: clock, content }));
      clock += lifetime / 1000;
    }

    // Assess: every URL signed correctly, by credentials STS issued to her that outlive it…
    expect(outcomes.flatMap((outcome) => problemsOf(rig, outcome, []))).toEqual([]);
    for (const outcome of outcomes) expect(credentialsExpiry(outcome)).toBeGreaterThanOrEqual(outcome.now + ttlSeconds * SECOND);
    // …and STS was asked at most maxCalls times.
    const calls = rig.sts.assumeRoleCalls - callsBefore;
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(maxCalls);
    const cache = tally(expectOneLogLinePerRequest(functions, outcomes.length), (line) => String(line['cache']));
    expect(cache).toEqual({ hit: 1000 - calls, miss: calls });
  });

  it('signs a URL expiring at the very instant the cached credentials do with them, on a clock that ticks 1 ms at every reading', async () => {
    // Prepare: handlers whose clock moves on each time it is read; cached credentials expiring at E.
    clock = Math.floor(Date.now() / SECOND) * SECOND;
    const sts = new StsClient({ endpoint: rig.sts.url, now: () => clock, attemptTimeoutMs: 2000, retry: { maxAttempts: 1 } });
    const functions = createFunctions(rig, { sts, now: () => clock++ });
    const first = await request(rig, functions, 'sign-request', 'alice', { now: clock, content: putObject('alice', clock) });
    const expiresAt = credentialsExpiry(first);
    const callsBefore = rig.sts.assumeRoleCalls;

    // Act: URLs of exactly the maximum TTL (1800 s) from the request's reading, ending at E and 1 s after E.
    clock = expiresAt - 1800 * SECOND;
    const exact = await request(rig, functions, 'sign-request', 'alice', { now: clock, content: presignedGet('alice', expiresAt) });
    clock = expiresAt + SECOND - 1800 * SECOND;
    const beyond = await request(rig, functions, 'sign-request', 'alice', { now: clock, content: presignedGet('alice', expiresAt + SECOND) });

    // Assess: the first from the cache, the second with new credentials (one call).
    expect([first, exact, beyond].flatMap((outcome) => problemsOf(rig, outcome, []))).toEqual([]);
    expect(credentialsExpiry(exact)).toBe(expiresAt);
    expect(credentialsExpiry(beyond)).toBeGreaterThan(expiresAt);
    expect(rig.sts.assumeRoleCalls - callsBefore).toBe(1);
    expect(expectOneLogLinePerRequest(functions, 3).map((line) => line['cache'])).toEqual(['miss', 'hit', 'miss']);
  });

  it('refuses a configuration whose maximum TTL is more than half the duration, at cold start, naming both variables', async () => {
    const functions = instances({ TVM_DURATION_SECONDS: '3600', TVM_SIGN_MAX_URL_TTL_SECONDS: '3600' });
    const callsBefore = rig.sts.assumeRoleCalls;

    const outcome = await request(rig, functions, 'sign-request', 'mallory', { now: clock, content: presignedGet('mallory', clock + 3600 * SECOND) });

    expect(resultOf(outcome)).toBe('500 InvalidConfiguration');
    expect(outcome.response?.body).toMatch(/TVM_SIGN_MAX_URL_TTL_SECONDS is invalid: 3600 is more than half of TVM_DURATION_SECONDS \(3600\)/);
    expect(rig.sts.assumeRoleCalls - callsBefore).toBe(0);
  });
});

describe('the per-instance budget of AssumeRole calls per identity and scope', () => {
  it('answers 429 TooManyRequests with Retry-After, without calling STS, once a user has spent it; others are unaffected', async () => {
    // Prepare: 3 calls an hour; STS throttles, so every request of the user costs a call.
    const functions = instances({ TVM_STS_CALLS_PER_HOUR: '3' });
    rig.sts.setFault({ kind: 'throttle' });
    const callsBefore = rig.sts.assumeRoleCalls;

    // Act: the user asks vend-token 5 times and sign-request 5 times (one instance each).
    const vend: Outcome[] = [];
    const sign: Outcome[] = [];
    for (let index = 0; index < 5; index++) {
      vend.push(await request(rig, functions, 'vend-token', 'mallory', { now: clock }));
      sign.push(await request(rig, functions, 'sign-request', 'mallory', { now: clock, content: putObject('mallory', clock) }));
    }
    const callsByMallory = rig.sts.assumeRoleCalls - callsBefore;
    const other = await request(rig, functions, 'vend-token', 'alice', { now: clock });

    // Assess: 3 calls per function, then refusals that cost STS nothing.
    for (const outcomes of [vend, sign]) {
      expect(outcomes.flatMap((outcome) => problemsOf(rig, outcome, ['503 StsThrottled', '429 TooManyRequests']))).toEqual([]);
      expect(outcomes.map(resultOf)).toEqual(['503 StsThrottled', '503 StsThrottled', '503 StsThrottled', '429 TooManyRequests', '429 TooManyRequests']);
      expect(outcomes[3]?.response?.headers['Retry-After']).toBe('1200');
    }
    expect(callsByMallory).toBe(6);
    expect(resultOf(other)).toBe('503 StsThrottled');
    expect(rig.sts.assumeRoleCalls - callsBefore).toBe(7);

    // Once STS recovers and Retry-After has passed, one more call is hers.
    rig.sts.setFault(null);
    clock += 1200 * SECOND;
    const again = await request(rig, functions, 'vend-token', 'mallory', { now: clock });
    expect(resultOf(again)).toBe('200');
    expect(problemsOf(rig, again, [])).toEqual([]);
    expect(rig.sts.assumeRoleCalls - callsBefore).toBe(8);
  });

  it('answers with cached credentials (at least 5 minutes left) instead of a 429, as when STS fails', async () => {
    // Prepare: one call an hour at the shortest duration; the credentials of that call age past
    // the 10-minute freshness margin (and this request would cost a call).
    const functions = instances({ TVM_STS_CALLS_PER_HOUR: '1', TVM_DURATION_SECONDS: '900' });
    const first = await request(rig, functions, 'vend-token', 'bob', { now: clock });
    clock += 7 * MINUTE;
    const callsBefore = rig.sts.assumeRoleCalls;

    // Act
    const stale = await request(rig, functions, 'vend-token', 'bob', { now: clock });
    clock += 4 * MINUTE;
    const tooOld = await request(rig, functions, 'vend-token', 'bob', { now: clock });

    // Assess: 8 minutes left: served; 4 left: refused. STS was not called for either.
    expect(problemsOf(rig, stale, [])).toEqual([]);
    expect(JSON.parse(stale.response?.body ?? '{}')['AccessKeyId']).toBe(JSON.parse(first.response?.body ?? '{}')['AccessKeyId']);
    expect(resultOf(tooOld)).toBe('429 TooManyRequests');
    expect(rig.sts.assumeRoleCalls - callsBefore).toBe(0);
    const lines = expectOneLogLinePerRequest(functions, 3);
    expect(lines.map((line) => line['cache'] ?? line['errorCode'])).toEqual(['miss', 'stale', 'TooManyRequests']);
  });

  it('is never met by an app refreshing its credentials every minute for a day at the shortest duration, nor by presigning every 10 s', async () => {
    // Prepare: the default budget (60 an hour), the shortest duration (900 s).
    const functions = instances({ TVM_DURATION_SECONDS: '900' });
    const callsBefore = rig.sts.assumeRoleCalls;

    // Act: a day of vend-token every minute and a presigned URL at the maximum TTL every 10 s.
    const outcomes: Outcome[] = [];
    for (let second = 0; second < 24 * 3600; second += 10) {
      if (second % 60 === 0) outcomes.push(await request(rig, functions, 'vend-token', 'alice', { now: clock }));
      outcomes.push(await request(rig, functions, 'sign-request', 'alice', { now: clock, content: presignedGet('alice', clock + 450 * SECOND) }));
      clock += 10 * SECOND;
    }

    // Assess: all served; each function renewed at most every 5 minutes (900 s less the 10-minute
    // freshness margin), i.e. 12 an hour against a budget of 60, and at least every 6 minutes.
    expect(tally(outcomes, resultOf)).toEqual({ 200: outcomes.length });
    const calls = rig.sts.assumeRoleCalls - callsBefore;
    expect(calls).toBeGreaterThanOrEqual(2 * 24 * 10);
    expect(calls).toBeLessThanOrEqual(2 * (24 * 12 + 1));
    functions.logLines.splice(0);
  });
});
