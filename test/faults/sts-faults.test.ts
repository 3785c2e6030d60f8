/**
 * Both functions under concurrent load while the STS emulator injects each fault it knows: every
 * single request is answered within the function timeout, with a 200 carrying credentials STS
 * really issued for that caller or with the refusal the README documents for the fault, in the
 * documented body, never a stack trace or STS's own body; nothing crashes the process; and STS is
 * retried only for throttling, 5xx and network failures (counted against the logical requests;
 * retries.test.ts counts them one logical request at a time).
 *
 * Short STS client settings keep this file fast; real-defaults.test.ts runs the product's own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StsClientOptions, StsClient } from '../../shared/sts/sts-client';
import {
  type FaultCase, FUNCTION_TIMEOUT_MS, FlightRecorder, type Rig, burst, createFunctions, expectAllAnswered,
  expectOneLogLinePerRequest, failOnProcessErrors, faultCases, identities, quiesce, resultOf, seededDraws, startRig, tally, warmUp,
} from './harness';

/** 50 distinct identities: 25 call vend-token, 25 sign-request. */
const VEND_IDENTITIES = identities('v', 25);
const SIGN_IDENTITIES = identities('s', 25);
/** Requests per function in each burst: three per identity, all 150 in parallel. */
const PER_FUNCTION = 75;

/**
 * Where STS answers every call at once (with the fault or without), no attempt may time out: a
 * loopback answer can take a second or more while 150 requests share this process and other test
 * processes the CPUs, and an attempt timed out would be retried (or refused) as the fault is not.
 * These scenarios end as soon as STS has answered, so the long timeouts cost nothing.
 */
const GENEROUS: Omit<StsClientOptions, 'endpoint'> = { attemptTimeoutMs: 5000, retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 80, deadlineMs: 8000 } };
/**
 * Where half the calls hang or are too slow (1.3 s): attempts time out after 900 ms, three of them
 * and their backoff (at most 20 + 40 ms) fit in the 3 s deadline. A healthy answer that a busy
 * machine delays past 900 ms ends as the fault does (retried, then 503 StsUnavailable), which the
 * scenario accepts.
 */
const PATIENT: Omit<StsClientOptions, 'endpoint'> = { attemptTimeoutMs: 900, retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 80, deadlineMs: 3000 } };
/** Where every attempt hangs or is too slow, no healthy answer needs a margin. */
const HASTY: Omit<StsClientOptions, 'endpoint'> = { attemptTimeoutMs: 300, retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 80, deadlineMs: 1200 } };

/** Every fault at probability 1 and 0.5; a hanging or too slow STS at 1 with hasty settings. */
const SCENARIOS: { faultCase: FaultCase; probability: number; settings: Omit<StsClientOptions, 'endpoint'> }[] = faultCases(1300).flatMap((faultCase) => {
  const timesOut = faultCase.fault.kind === 'hang' || faultCase.fault.kind === 'slow';
  return [
    { faultCase, probability: 1, settings: timesOut ? HASTY : GENEROUS },
    { faultCase, probability: 0.5, settings: timesOut ? PATIENT : GENEROUS },
  ];
});

let rig: Rig;
failOnProcessErrors();

beforeAll(async () => {
  rig = await startRig([...VEND_IDENTITIES, ...SIGN_IDENTITIES]);
  await warmUp(rig, { perFunction: PER_FUNCTION, vendIdentities: VEND_IDENTITIES, signIdentities: SIGN_IDENTITIES });
});
afterEach(() => rig.sts.setFault(null));
afterAll(() => rig.close());

describe.each(SCENARIOS)('under concurrent load, when STS answers with $faultCase.name with probability $probability', ({ faultCase, probability, settings }) => {
  const { fault, refusal, retried } = faultCase;
  const refusalCode = refusal.split(' ')[1] ?? '';
  const maxAttempts = settings.retry?.maxAttempts ?? Number.NaN;
  const deadlineMs = settings.retry?.deadlineMs ?? Number.NaN;

  it(`answers every request in time with 200 or ${refusal}, and retries ${retried ? 'up to maxAttempts' : 'never'}`, async () => {
    // Prepare: fresh instances of both functions (empty caches), STS seen through recorders.
    const recorder = new FlightRecorder(new StsClient({ endpoint: rig.sts.url, ...settings }));
    const functions = createFunctions(rig, { sts: recorder });
    await quiesce(rig);
    // Which calls fail is drawn per caller from a fixed seed (seededDraws), not in arrival order.
    rig.sts.setFault(fault, { probability, random: seededDraws(faultCase.name) });
    const callsBefore = rig.sts.assumeRoleCalls;

    // Act: 150 requests from 50 identities, all at once.
    const outcomes = await burst(rig, functions, { perFunction: PER_FUNCTION, vendIdentities: VEND_IDENTITIES, signIdentities: SIGN_IDENTITIES });
    rig.sts.setFault(null);
    await quiesce(rig);

    // Assess: every single response, then the mix of results.
    expect(outcomes).toHaveLength(2 * PER_FUNCTION);
    expectAllAnswered(rig, outcomes, [refusal]);
    const results = tally(outcomes, resultOf);
    if (probability === 1) {
      expect(results).toEqual({ [refusal]: 2 * PER_FUNCTION });
    } else {
      // The fault really struck some logical requests and not others.
      expect(results['200'], JSON.stringify(results)).toBeGreaterThan(0);
      expect(results[refusal], JSON.stringify(results)).toBeGreaterThan(0);
    }
    // Bounded by the client's total deadline, far inside the function timeout.
    const slowest = Math.max(...outcomes.map((outcome) => outcome.elapsedMs));
    expect(slowest).toBeLessThan(deadlineMs + 1500);
    expect(slowest).toBeLessThan(FUNCTION_TIMEOUT_MS);
    expectOneLogLinePerRequest(functions, outcomes.length);

    // The logical STS requests (flights of the credential provider) against the AssumeRole calls
    // STS saw: concurrent requests of a caller share one flight, and every caller had at least one.
    const flights = recorder.flights;
    expect(new Set(flights.map((flight) => flight.session)).size).toBe(VEND_IDENTITIES.length + SIGN_IDENTITIES.length);
    expect(flights.length).toBeLessThan(outcomes.length);
    expect(flights.filter((flight) => flight.outcome !== 'ok' && flight.outcome !== refusalCode)).toEqual([]);
    const failed = flights.filter((flight) => flight.outcome === refusalCode).length;
    const succeeded = flights.length - failed;
    const stsCalls = rig.sts.assumeRoleCalls - callsBefore;
    if (!retried) {
      // Never retried: exactly one call per flight, failed or not.
      expect(stsCalls).toBe(flights.length);
    } else {
      // A failed flight was tried maxAttempts times (the deadline leaves room for all); a successful one 1 to maxAttempts times.
      const bySucceeded = stsCalls - failed * maxAttempts;
      expect(bySucceeded).toBeGreaterThanOrEqual(succeeded);
      expect(bySucceeded).toBeLessThanOrEqual(succeeded * maxAttempts);
      // …and, when STS failed only half the calls, some succeeded on a retry.
      if (probability < 1) expect(bySucceeded).toBeGreaterThan(succeeded);
    }
  });
});
