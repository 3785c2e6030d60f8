/**
 * The product's own STS client settings (3 s per attempt, 5 s in total, 3 attempts, backoff from
 * 100 ms capped at 1 s) under concurrent load: the figures the function timeout in s.yaml (10 s)
 * was chosen for. No STS client is injected into the hanging scenario at all, so what runs is the
 * client the functions build for themselves.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StsClient } from '../../shared/sts/sts-client';
import {
  type AttemptRecorder, FUNCTION_TIMEOUT_MS, FlightRecorder, type Rig, attemptsOf, attemptsSettled, burst, createFunctions, expectAllAnswered,
  expectOneLogLinePerRequest, failOnProcessErrors, identities, resultOf, seededDraws, startAttemptRecorder, startRig, tally,
} from './harness';

/** The product defaults, as the README and sts-client.ts state them. */
const ATTEMPT_TIMEOUT_MS = 3000;
const DEADLINE_MS = 5000;
const MAX_ATTEMPTS = 3;

const VEND_IDENTITIES = identities('v', 25);
const SIGN_IDENTITIES = identities('s', 25);
/** Requests per function in each burst: three per identity, all 150 in parallel. */
const PER_FUNCTION = 75;

let rig: Rig;
/** Between the functions and the emulator: sees each HTTP attempt. */
let recorder: AttemptRecorder;
failOnProcessErrors();

beforeAll(async () => {
  rig = await startRig([...VEND_IDENTITIES, ...SIGN_IDENTITIES]);
  recorder = await startAttemptRecorder(rig.sts.url);
});
afterEach(() => rig.sts.setFault(null));
afterAll(async () => {
  await recorder.close();
  await rig.close();
});

describe('with the real default STS client settings', () => {
  it('answers every request to a hanging STS with 503 StsUnavailable after about 5 s (the total deadline), not 3 × 3 s', async () => {
    // Prepare: the functions as deployed, building their own STS client (for STS through the recorder).
    const functions = createFunctions(rig, { environment: { TVM_STS_ENDPOINT: recorder.url } });
    rig.sts.setFault({ kind: 'hang' });
    const callsBefore = rig.sts.assumeRoleCalls;
    const attemptsBefore = recorder.attempts.length;

    // Act
    const burstStarted = performance.now();
    const outcomes = await burst(rig, functions, { perFunction: PER_FUNCTION, vendIdentities: VEND_IDENTITIES, signIdentities: SIGN_IDENTITIES });

    await attemptsSettled(recorder);

    // Assess: every answer is the documented refusal, after the 5 s deadline and inside the
    // function timeout. (Only bounds a busy machine cannot break are checked on this real clock: it
    // can delay an answer, never hasten one. retries.test.ts judges the exact schedule of attempts,
    // pauses and deadline on a clock the test moves.)
    expectAllAnswered(rig, outcomes, ['503 StsUnavailable']);
    expect(tally(outcomes, resultOf)).toEqual({ '503 StsUnavailable': 2 * PER_FUNCTION });
    const elapsed = outcomes.map((outcome) => outcome.elapsedMs);
    expect(Math.min(...elapsed)).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
    expect(Math.max(...elapsed)).toBeLessThan(FUNCTION_TIMEOUT_MS);
    expectOneLogLinePerRequest(functions, outcomes.length);
    // Per identity (one logical request each, the others coalesced): a 3 s attempt, then one
    // more that runs to the 5 s deadline; the third attempt never starts (3 × 3 s would need it).
    const own = recorder.attempts.slice(attemptsBefore);
    expect(own).toHaveLength(2 * (VEND_IDENTITIES.length + SIGN_IDENTITIES.length));
    expect(rig.sts.assumeRoleCalls - callsBefore).toBe(own.length);
    for (const identity of [...VEND_IDENTITIES, ...SIGN_IDENTITIES]) {
      const mine = own.filter((attempt) => attempt.session === identity);
      expect(mine.map((attempt) => attempt.outcome)).toEqual(['abandoned', 'abandoned']);
      const [first, second] = mine;
      // The client gives an attempt up no sooner than 3 s after it started, which was after the
      // burst began, and the retry lasts until the deadline, 5 s after the start.
      expect((first?.settledAt ?? 0) - burstStarted).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 20);
      expect((second?.settledAt ?? 0) - burstStarted).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
    }
  });

  it('answers 200 or 503 StsThrottled to every request while STS throttles half the calls, retrying each logical request at most 3 times', async () => {
    // Prepare: a client with the default settings, only watched.
    const flights = new FlightRecorder(new StsClient({ endpoint: recorder.url }));
    const functions = createFunctions(rig, { sts: flights });
    rig.sts.setFault({ kind: 'throttle' }, { probability: 0.5, random: seededDraws('throttle') });
    const attemptsBefore = recorder.attempts.length;

    // Act
    const outcomes = await burst(rig, functions, { perFunction: PER_FUNCTION, vendIdentities: VEND_IDENTITIES, signIdentities: SIGN_IDENTITIES });
    await attemptsSettled(recorder);

    // Assess
    expectAllAnswered(rig, outcomes, ['503 StsThrottled']);
    const results = tally(outcomes, resultOf);
    expect(results['200'], JSON.stringify(results)).toBeGreaterThan(0);
    expect(results['503 StsThrottled'], JSON.stringify(results)).toBeGreaterThan(0);
    expectOneLogLinePerRequest(functions, outcomes.length);
    const own = recorder.attempts.slice(attemptsBefore);
    for (const flight of flights.flights) {
      const mine = attemptsOf(flight, own);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine.length).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(mine.slice(0, -1).every((attempt) => attempt.outcome === '400')).toBe(true);
      expect(mine.at(-1)?.outcome).toBe(flight.outcome === 'ok' ? '200' : '400');
      if (flight.outcome !== 'ok') expect(mine).toHaveLength(MAX_ATTEMPTS);
    }
  });
});
