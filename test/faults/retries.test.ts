/**
 * Retries, one logical request at a time, counted where STS sees them (the emulator's
 * assumeRoleCalls) and by a recording proxy between client and STS: throttling, 5xx and network
 * failures are retried up to maxAttempts, with capped exponential backoff and full jitter, inside a
 * total deadline; answers that are not STS's JSON and STS's refusals are not retried.
 *
 * The client's time is a {@link ManualTimers} clock the test moves: a pause passes once the client
 * takes it, and an attempt's time runs out only once the attempt has reached an STS that holds it
 * (hanging, or too slow). So a busy machine can neither time out an answer on its way nor stretch
 * a pause, and the schedule the client kept is judged exactly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StsClientOptions, StsClient } from '../../shared/sts/sts-client';
import { ManualTimers, drive } from '../helpers/manual-timers';
import {
  type AttemptRecorder, type FunctionName, type Outcome, type Rig, attemptsSettled, createFunctions, failOnProcessErrors, faultCases,
  identities, problemsOf, request, resultOf, startAttemptRecorder, startRig,
} from './harness';

/** Quick settings: three attempts of a hanging STS (3 × 200 ms plus at most 10 + 20 ms of backoff) fit the deadline. */
const QUICK: Omit<StsClientOptions, 'endpoint' | 'timers'> = { attemptTimeoutMs: 200, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1000 } };
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

/** Which attempts (numbered from 0) STS holds without answering: their time may run out once they reach it. */
type Held = (attempt: number) => boolean;
const NONE_HELD: Held = () => false;

/**
 * One logical request of a fresh identity to `fn`, its STS client talking to STS through the
 * recorder on a {@link ManualTimers} clock: each pause passes once the client takes it (and STS has
 * seen every attempt so far), each attempt that `held` names times out once it has reached STS.
 * Returns the outcome, how many AssumeRole calls STS saw for it, the attempts the recorder saw, and
 * the clock with the schedule the client kept.
 */
async function logicalRequest(fn: FunctionName, held: Held = NONE_HELD, client: Omit<StsClientOptions, 'endpoint' | 'timers'> = QUICK, environment: Record<string, string> = {}, credentials = rig.functionCredentials) {
  const timers = new ManualTimers();
  const functions = createFunctions(rig, { sts: new StsClient({ endpoint: recorder.url, ...client, timers }), environment });
  const identity = freshIdentity();
  const before = rig.sts.assumeRoleCalls;
  const attemptsBefore = recorder.attempts.length;
  const attemptsAtPauses: number[] = [];
  const outcome = await drive(timers, request(rig, functions, fn, identity, { credentials }), {
    allAtSts: () => rig.sts.assumeRoleCalls - before === timers.schedule.filter((entry) => entry.kind === 'timeout').length,
    held,
    onPause: () => attemptsAtPauses.push(rig.sts.assumeRoleCalls - before),
  });
  await attemptsSettled(recorder);
  const attempts = recorder.attempts.slice(attemptsBefore);
  // Every attempt reached STS, and STS saw no other.
  expect(attempts.map((attempt) => attempt.session)).toEqual(attempts.map(() => identity));
  expect(rig.sts.assumeRoleCalls - before).toBe(attempts.length);
  // The client started an attempt only after the pause before it had passed.
  expect(attemptsAtPauses).toEqual(attemptsAtPauses.map((_, index) => index + 1));
  return { outcome, stsCalls: rig.sts.assumeRoleCalls - before, attempts, timers };
}

/** The pauses (ms) the client took between attempts. */
function pauses(timers: ManualTimers): number[] {
  return timers.schedule.filter((entry) => entry.kind === 'sleep').map((entry) => entry.ms);
}

function expectAnswered(outcome: Outcome, refusal: string): void {
  expect(problemsOf(rig, outcome, [refusal])).toEqual([]);
  expect(resultOf(outcome)).toBe(refusal);
}

/** Whether STS holds a call with `fault` rather than answering it. */
const holds = (kind: string): boolean => kind === 'hang' || kind === 'slow';

describe('per logical request', () => {
  describe.each(faultCases(400))('when STS answers every call with $name', ({ fault, refusal, retried }) => {
    it.each(FUNCTIONS)(`%s asks STS ${retried ? 'maxAttempts (3) times' : 'once'}, then answers ${refusal}`, async (fn) => {
      rig.sts.setFault(fault);

      const { outcome, stsCalls, attempts } = await logicalRequest(fn, () => holds(fault.kind));

      expectAnswered(outcome, refusal);
      expect(stsCalls).toBe(retried ? 3 : 1);
      if (retried) expect(attempts.filter((attempt) => attempt.outcome === '200')).toEqual([]);
    });
  });

  describe.each(faultCases(400).filter((faultCase) => faultCase.retried))('when STS answers the first two calls with $name', ({ fault }) => {
    it.each(FUNCTIONS)('%s succeeds on the third and last attempt', async (fn) => {
      rig.sts.setFault(fault, { count: 2 });

      const { outcome, stsCalls, attempts } = await logicalRequest(fn, (attempt) => attempt < 2 && holds(fault.kind));

      expect(problemsOf(rig, outcome, [])).toEqual([]);
      expect(resultOf(outcome)).toBe('200');
      expect(stsCalls).toBe(3);
      expect(attempts.map((attempt) => attempt.outcome === '200')).toEqual([false, false, true]);
    });
  });

  describe('when STS refuses', () => {
    it.each(FUNCTIONS)('%s asks once for a role that does not exist, and answers 502 Sts.EntityNotExist.Role', async (fn) => {
      const { outcome, stsCalls } = await logicalRequest(fn, NONE_HELD, QUICK, { TVM_ROLE_ARN: `acs:ram::${rig.sts.accountId}:role/no-such-role` });

      expectAnswered(outcome, '502 Sts.EntityNotExist.Role');
      expect(stsCalls).toBe(1);
    });

    it.each(FUNCTIONS)('%s asks once with a function credential STS does not accept, and answers 502 Sts.SignatureDoesNotMatch', async (fn) => {
      const { outcome, stsCalls } = await logicalRequest(fn, NONE_HELD, QUICK, {}, { ...rig.functionCredentials, accessKeySecret: 'not-the-secret' });

      expectAnswered(outcome, '502 Sts.SignatureDoesNotMatch');
      expect(stsCalls).toBe(1);
    });
  });
});

describe('backoff', () => {
  // base 60 ms, cap 150 ms: the uncapped waits would be 60, 120, 240, 480 ms.
  const BACKOFF: Omit<StsClientOptions, 'endpoint' | 'timers'> = { attemptTimeoutMs: 1000, retry: { maxAttempts: 5, baseDelayMs: 60, maxDelayMs: 150, deadlineMs: 5000 } };

  it.each([
    ['random() = 1: the full exponential wait, capped at maxDelayMs', [1, 1, 1, 1], [60, 120, 150, 150]],
    ['random() = 0: no wait at all', [0, 0, 0, 0], [0, 0, 0, 0]],
    ['random() in between: that fraction of the capped wait (full jitter)', [0.5, 0.25, 0.75, 0.5], [30, 30, 112, 75]],
  ] as const)('waits between attempts with %s', async (_case, draws, expected) => {
    rig.sts.setFault({ kind: 'throttle' });
    let draw = 0;
    const random = (): number => draws[draw++ % draws.length] ?? Number.NaN;

    const { outcome, stsCalls, attempts: made, timers } = await logicalRequest('vend-token', NONE_HELD, { ...BACKOFF, random });

    expectAnswered(outcome, '503 StsThrottled');
    expect(stsCalls).toBe(5);
    expect(made).toHaveLength(5);
    // The pauses the client took between the attempts (logicalRequest checks each came before the next attempt).
    expect(pauses(timers)).toEqual(expected);
  });
});

describe('total deadline', () => {
  it('ends the retries of a hanging STS at the deadline, even with attempts to spare', async () => {
    rig.sts.setFault({ kind: 'hang' });
    const client = { attemptTimeoutMs: 300, random: () => 0, retry: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 40, deadlineMs: 1000 } };

    const { outcome, stsCalls, attempts: made, timers } = await logicalRequest('sign-request', () => true, client);

    expectAnswered(outcome, '503 StsUnavailable');
    // Four of the ten attempts allowed: three full ones, then one cut to the 100 ms left, which ends
    // exactly at the deadline; no attempt runs, and none starts, past it.
    expect(timers.schedule).toEqual([
      { kind: 'timeout', at: 0, ms: 300 }, { kind: 'sleep', at: 300, ms: 0 },
      { kind: 'timeout', at: 300, ms: 300 }, { kind: 'sleep', at: 600, ms: 0 },
      { kind: 'timeout', at: 600, ms: 300 }, { kind: 'sleep', at: 900, ms: 0 },
      { kind: 'timeout', at: 900, ms: 100 },
    ]);
    expect(timers.now()).toBe(1000);
    expect(stsCalls).toBe(4);
    expect(made.map((attempt) => attempt.outcome)).toEqual(['abandoned', 'abandoned', 'abandoned', 'abandoned']);
  });
});
