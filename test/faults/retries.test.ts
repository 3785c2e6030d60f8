/**
 * Retries, one logical request at a time, counted where STS sees them (the emulator's
 * assumeRoleCalls) and timed by a recording proxy between client and STS: throttling, 5xx and
 * network failures are retried up to maxAttempts, with capped exponential backoff and full jitter,
 * inside a total deadline; answers that are not STS's JSON and STS's refusals are not retried.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StsClientOptions, StsClient } from '../../shared/sts/sts-client';
import {
  type Attempt, type AttemptRecorder, type FunctionName, type Outcome, type Rig, attemptsSettled, createFunctions, failOnProcessErrors, faultCases,
  identities, problemsOf, request, resultOf, startAttemptRecorder, startRig,
} from './harness';

/** Quick settings: three attempts of a hanging STS (3 × 200 ms plus at most 10 + 20 ms of backoff) fit the deadline. */
const QUICK: Omit<StsClientOptions, 'endpoint'> = { attemptTimeoutMs: 200, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1000 } };
const FUNCTIONS: readonly FunctionName[] = ['vend-token', 'sign-request'];

const subjects = identities('r', 80);
let unused = 0;
/** An identity no earlier request used, so nothing is cached for it. */
function freshIdentity(): string {
  const identity = subjects[unused++];
  if (identity === undefined) throw new Error('out of identities');
  return identity;
}

let rig: Rig;
/** Between the STS client and the emulator: sees each HTTP attempt. */
let recorder: AttemptRecorder;
failOnProcessErrors();

beforeAll(async () => {
  rig = await startRig(subjects);
  recorder = await startAttemptRecorder(rig.sts.url);
});
afterEach(() => rig.sts.setFault(null));
afterAll(async () => {
  await recorder.close();
  await rig.close();
});

/**
 * One logical request of a fresh identity to `fn`, its STS client talking to STS through the
 * recorder: the outcome, how many AssumeRole calls STS saw for it, and the attempts the recorder saw.
 */
async function logicalRequest(fn: FunctionName, client: Omit<StsClientOptions, 'endpoint'> = QUICK, environment: Record<string, string> = {}, credentials = rig.functionCredentials) {
  const functions = createFunctions(rig, { sts: new StsClient({ endpoint: recorder.url, ...client }), environment });
  const identity = freshIdentity();
  const before = rig.sts.assumeRoleCalls;
  const attemptsBefore = recorder.attempts.length;
  const outcome = await request(rig, functions, fn, identity, { credentials });
  await attemptsSettled(recorder);
  const attempts = recorder.attempts.slice(attemptsBefore);
  // Every attempt reached STS, and STS saw no other.
  expect(attempts.map((attempt) => attempt.session)).toEqual(attempts.map(() => identity));
  expect(rig.sts.assumeRoleCalls - before).toBe(attempts.length);
  return { outcome, stsCalls: rig.sts.assumeRoleCalls - before, attempts };
}

function expectAnswered(outcome: Outcome, refusal: string): void {
  expect(problemsOf(rig, outcome, [refusal])).toEqual([]);
  expect(resultOf(outcome)).toBe(refusal);
}

/** The pauses between consecutive attempts: from one attempt's answer to the next attempt's start. */
function pauses(list: readonly Attempt[]): number[] {
  return list.slice(1).map((attempt, index) => attempt.startedAt - (list[index]?.settledAt ?? Number.NaN));
}

describe('per logical request', () => {
  describe.each(faultCases(400))('when STS answers every call with $name', ({ fault, refusal, retried }) => {
    it.each(FUNCTIONS)(`%s asks STS ${retried ? 'maxAttempts (3) times' : 'once'}, then answers ${refusal}`, async (fn) => {
      rig.sts.setFault(fault);

      const { outcome, stsCalls, attempts } = await logicalRequest(fn);

      expectAnswered(outcome, refusal);
      expect(stsCalls).toBe(retried ? 3 : 1);
      if (retried) expect(attempts.filter((attempt) => attempt.outcome === '200')).toEqual([]);
    });
  });

  describe.each(faultCases(400).filter((faultCase) => faultCase.retried))('when STS answers the first two calls with $name', ({ fault }) => {
    it.each(FUNCTIONS)('%s succeeds on the third and last attempt', async (fn) => {
      rig.sts.setFault(fault, { count: 2 });

      const { outcome, stsCalls, attempts } = await logicalRequest(fn);

      expect(problemsOf(rig, outcome, [])).toEqual([]);
      expect(resultOf(outcome)).toBe('200');
      expect(stsCalls).toBe(3);
      expect(attempts.map((attempt) => attempt.outcome === '200')).toEqual([false, false, true]);
    });
  });

  describe('when STS refuses', () => {
    it.each(FUNCTIONS)('%s asks once for a role that does not exist, and answers 502 Sts.EntityNotExist.Role', async (fn) => {
      const { outcome, stsCalls } = await logicalRequest(fn, QUICK, { TVM_ROLE_ARN: `acs:ram::${rig.sts.accountId}:role/no-such-role` });

      expectAnswered(outcome, '502 Sts.EntityNotExist.Role');
      expect(stsCalls).toBe(1);
    });

    it.each(FUNCTIONS)('%s asks once with a function credential STS does not accept, and answers 502 Sts.SignatureDoesNotMatch', async (fn) => {
      const { outcome, stsCalls } = await logicalRequest(fn, QUICK, {}, { ...rig.functionCredentials, accessKeySecret: 'not-the-secret' });

      expectAnswered(outcome, '502 Sts.SignatureDoesNotMatch');
      expect(stsCalls).toBe(1);
    });
  });
});

describe('backoff', () => {
  // base 60 ms, cap 150 ms: the uncapped waits would be 60, 120, 240, 480 ms.
  const BACKOFF: Omit<StsClientOptions, 'endpoint'> = { attemptTimeoutMs: 1000, retry: { maxAttempts: 5, baseDelayMs: 60, maxDelayMs: 150, deadlineMs: 5000 } };

  it.each([
    ['random() = 1: the full exponential wait, capped at maxDelayMs', [1, 1, 1, 1], [60, 120, 150, 150]],
    ['random() = 0: no wait at all', [0, 0, 0, 0], [0, 0, 0, 0]],
    ['random() in between: that fraction of the capped wait (full jitter)', [0.5, 0.25, 0.75, 0.5], [30, 30, 112, 75]],
  ] as const)('waits between attempts with %s', async (_case, draws, expected) => {
    rig.sts.setFault({ kind: 'throttle' });
    let draw = 0;
    const random = (): number => draws[draw++ % draws.length] ?? Number.NaN;

    const { outcome, stsCalls, attempts: made } = await logicalRequest('vend-token', { ...BACKOFF, random });

    expectAnswered(outcome, '503 StsThrottled');
    expect(stsCalls).toBe(5);
    expect(made).toHaveLength(5);
    const waits = pauses(made);
    waits.forEach((wait, index) => {
      const wanted = expected[index] ?? Number.NaN;
      expect(wait, `wait ${index + 1} of ${waits.map(Math.round).join(', ')} ms`).toBeGreaterThanOrEqual(wanted - 2);
      // Plus what a busy machine adds to a timer, well under the 90 ms that tell a capped wait from an uncapped one.
      expect(wait, `wait ${index + 1} of ${waits.map(Math.round).join(', ')} ms`).toBeLessThan(wanted + 60);
    });
  });
});

describe('total deadline', () => {
  it('ends the retries of a hanging STS at the deadline, even with attempts to spare', async () => {
    rig.sts.setFault({ kind: 'hang' });
    const client = { attemptTimeoutMs: 300, random: () => 0, retry: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1000 } };

    const { outcome, stsCalls, attempts: made } = await logicalRequest('sign-request', client);

    expectAnswered(outcome, '503 StsUnavailable');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(950);
    expect(outcome.elapsedMs).toBeLessThan(1250);
    expect(stsCalls).toBeGreaterThanOrEqual(3);
    expect(stsCalls).toBeLessThan(10);
    expect(made).toHaveLength(stsCalls);
    const start = made[0]?.startedAt ?? Number.NaN;
    for (const attempt of made) {
      expect(attempt.outcome).toBe('abandoned');
      expect(attempt.startedAt - start).toBeLessThan(1000);
      expect(attempt.settledAt - start).toBeLessThan(1000 + 60);
    }
  });
});
