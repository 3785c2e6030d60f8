/**
 * The credential cache while STS fails, under concurrent load on both functions, for every fault:
 * a cached credential with at least 5 minutes left is served instead of the failure; below 5
 * minutes the failure shows; a failure is never cached, so the next success is fetched (one
 * AssumeRole per caller) and cached (then hits, no AssumeRole); and sign-request serves a
 * presigned URL from the cache only when the cached credentials outlive it.
 *
 * The handlers run on a clock the test moves ahead (`now` in the handler options); STS's clock is
 * moved ahead with it where it issues new credentials, as sign-request.test.ts's `timeTravel` does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StsClientOptions, StsClient } from '../../shared/sts/sts-client';
import type { StsFault } from '../../local/sts-emulator';
import { ManualTimers, drive } from '../helpers/manual-timers';
import {
  type Functions, type Outcome, type Rig, accessKeyIdOf, burst, createFunctions, expectAllAnswered, expectOneLogLinePerRequest,
  failOnProcessErrors, faultCases, identities, presignedGet, problemsOf, quiesce, request, resultOf, startRig, tally, warmUp,
} from './harness';

/**
 * One attempt of 800 ms (retries are retries.test.ts's business), on a clock the test moves
 * ({@link ManualTimers}): the attempts a hanging or slow STS holds time out once they have all
 * reached it, and no healthy answer can time out however busy the machine.
 */
const STS: Omit<StsClientOptions, 'endpoint' | 'timers'> = { attemptTimeoutMs: 800, retry: { maxAttempts: 1, deadlineMs: 1000 } };
const MINUTE = 60_000;
const VEND_IDENTITIES = identities('v', 10);
const SIGN_IDENTITIES = identities('s', 10);
const CALLERS = VEND_IDENTITIES.length + SIGN_IDENTITIES.length;
/** Three requests per identity and function, all 60 in parallel. */
const PER_FUNCTION = 30;

let rig: Rig;
failOnProcessErrors();

beforeAll(async () => {
  rig = await startRig([...VEND_IDENTITIES, ...SIGN_IDENTITIES]);
  await warmUp(rig, { perFunction: PER_FUNCTION, vendIdentities: VEND_IDENTITIES, signIdentities: SIGN_IDENTITIES });
});
afterEach(() => {
  rig.sts.setFault(null);
  rig.setStsLead(0);
});
afterAll(() => rig.close());

/**
 * Both functions on a movable clock, STS's fault (`setFault`, which knows whether STS then holds
 * calls), and a burst that reports how many AssumeRole calls STS saw meanwhile.
 */
function instancesOnAClock() {
  let clock = Date.now();
  const timers = new ManualTimers();
  const functions = createFunctions(rig, { sts: new StsClient({ endpoint: rig.sts.url, ...STS, timers }), now: () => clock });
  const callsBefore = rig.sts.assumeRoleCalls;
  let holding = false;
  return {
    functions,
    now: () => clock,
    advance(ms: number): void {
      clock += ms;
    },
    setFault(fault: StsFault | null): void {
      rig.sts.setFault(fault);
      holding = fault?.kind === 'hang' || fault?.kind === 'slow';
    },
    async send(credentials = rig.functionCredentials): Promise<{ outcomes: Outcome[]; stsCalls: number }> {
      await quiesce(rig);
      const before = rig.sts.assumeRoleCalls;
      const outcomes = await drive(timers, burst(rig, functions, { perFunction: PER_FUNCTION, vendIdentities: VEND_IDENTITIES, signIdentities: SIGN_IDENTITIES, now: () => clock, credentials }), {
        allAtSts: () => rig.sts.assumeRoleCalls - callsBefore === timers.schedule.filter((entry) => entry.kind === 'timeout').length,
        held: () => holding,
      });
      await quiesce(rig);
      return { outcomes, stsCalls: rig.sts.assumeRoleCalls - before };
    },
  };
}

/** The one AccessKeyId each caller (function and identity) got; fails if a caller got two or none. */
function credentialsByCaller(outcomes: readonly Outcome[]): Map<string, string> {
  const byCaller = new Map<string, Set<string>>();
  for (const outcome of outcomes) {
    const caller = `${outcome.fn}/${outcome.identity}`;
    const set = byCaller.get(caller) ?? new Set<string>();
    set.add(accessKeyIdOf(outcome) ?? 'none');
    byCaller.set(caller, set);
  }
  expect([...byCaller.values()].filter((set) => set.size !== 1 || set.has('none'))).toEqual([]);
  return new Map([...byCaller].map(([caller, set]) => [caller, [...set][0] ?? '']));
}

function expectLogged(functions: Functions, outcomes: readonly Outcome[], cache: string): void {
  const lines = expectOneLogLinePerRequest(functions, outcomes.length);
  expect(lines.some((line) => line['cache'] === cache), `a request logged with cache "${cache}"`).toBe(true);
}

describe.each(faultCases(1200))('when STS answers with $name', ({ fault, refusal }) => {
  it('never caches the failure, serves cached credentials with 5 to 10 minutes left, and lets the failure show below 5', async () => {
    const { functions, advance, send, setFault } = instancesOnAClock();

    // A failing burst on an empty cache: every request refused as documented.
    setFault(fault);
    const failing = await send();
    expectAllAnswered(rig, failing.outcomes, [refusal]);
    expect(tally(failing.outcomes, resultOf)).toEqual({ [refusal]: 2 * PER_FUNCTION });
    expectOneLogLinePerRequest(functions, failing.outcomes.length);

    // STS recovers: the failure was not kept, so each caller costs exactly one AssumeRole…
    setFault(null);
    const recovered = await send();
    expectAllAnswered(rig, recovered.outcomes, []);
    expect(recovered.stsCalls).toBe(CALLERS);
    const cached = credentialsByCaller(recovered.outcomes);
    expectLogged(functions, recovered.outcomes, 'miss');
    // …and what it fetched is cached: the next burst costs none.
    const hits = await send();
    expectAllAnswered(rig, hits.outcomes, []);
    expect(hits.stsCalls).toBe(0);
    expect(credentialsByCaller(hits.outcomes)).toEqual(cached);
    expectLogged(functions, hits.outcomes, 'hit');

    // 54 minutes on, 6 minutes of validity are left: too few to hand out while STS works, so STS
    // is asked; it fails, and the cached credentials are served instead.
    advance(54 * MINUTE);
    setFault(fault);
    const stale = await send();
    expectAllAnswered(rig, stale.outcomes, []);
    expect(stale.stsCalls).toBeGreaterThanOrEqual(CALLERS);
    expect(credentialsByCaller(stale.outcomes)).toEqual(cached);
    expectLogged(functions, stale.outcomes, 'stale');

    // 4.5 minutes left: below the 5-minute floor, the failure shows.
    advance(1.5 * MINUTE);
    const tooOld = await send();
    expectAllAnswered(rig, tooOld.outcomes, [refusal]);
    expect(tally(tooOld.outcomes, resultOf)).toEqual({ [refusal]: 2 * PER_FUNCTION });
    expectOneLogLinePerRequest(functions, tooOld.outcomes.length);

    // STS recovers (issuing on a clock as far ahead as the handlers'): one AssumeRole per caller, new credentials, then hits.
    setFault(null);
    rig.setStsLead(10 * MINUTE);
    const renewed = await send();
    expectAllAnswered(rig, renewed.outcomes, []);
    expect(renewed.stsCalls).toBe(CALLERS);
    const fresh = credentialsByCaller(renewed.outcomes);
    for (const [caller, accessKeyId] of fresh) expect(accessKeyId).not.toBe(cached.get(caller));
    expectLogged(functions, renewed.outcomes, 'miss');
    const hitsAgain = await send();
    expectAllAnswered(rig, hitsAgain.outcomes, []);
    expect(hitsAgain.stsCalls).toBe(0);
    expect(credentialsByCaller(hitsAgain.outcomes)).toEqual(fresh);
  });
});

describe('when STS refuses rather than fails', () => {
  it('answers its refusal, not the cached credentials', async () => {
    const { advance, send } = instancesOnAClock();
    const warm = await send();
    expectAllAnswered(rig, warm.outcomes, []);
    advance(54 * MINUTE);

    // STS refuses the function's credentials (a rotated or wrong secret): not a failure to ride out.
    const refused = await send({ ...rig.functionCredentials, accessKeySecret: 'not-the-secret' });

    expectAllAnswered(rig, refused.outcomes, ['502 Sts.SignatureDoesNotMatch']);
    expect(tally(refused.outcomes, resultOf)).toEqual({ '502 Sts.SignatureDoesNotMatch': 2 * PER_FUNCTION });
  });
});

describe('sign-request, presigning URLs while STS fails', () => {
  // A presigned URL may not outlive the credentials that sign it, so a cached credential serves
  // only URLs that expire before it does; for a longer URL STS is asked, and its failure shows
  // as the documented 503, to be retried, not as a 403 DateOutOfRange telling the app its URL is
  // too long (new credentials would cover it as soon as STS recovers).
  it.each([
    ['with 8 minutes left, next to a plain request that is served the cached credentials', 52, 7, 9],
    ['with 20 minutes left, which are fresh for plain requests', 40, 15, 30],
  ])('%s: signs a URL they outlive, and answers 503 StsThrottled for one they do not', async (_case, ageMinutes, shortUrlMinutes, longUrlMinutes) => {
    // Prepare: every sign-request caller has cached credentials, now aged; STS throttles.
    const { functions, advance, send, now } = instancesOnAClock();
    const warm = await send();
    expectAllAnswered(rig, warm.outcomes, []);
    const cached = credentialsByCaller(warm.outcomes);
    advance(ageMinutes * MINUTE);
    rig.sts.setFault({ kind: 'throttle' });
    functions.logLines.splice(0);

    // Act: for each caller, at once, a PutObject, a URL expiring before the cached credentials and one expiring after.
    const sent = SIGN_IDENTITIES.flatMap((identity) => [
      ['200', request(rig, functions, 'sign-request', identity, { now: now() })],
      ['200', request(rig, functions, 'sign-request', identity, { now: now(), content: presignedGet(identity, now() + shortUrlMinutes * MINUTE) })],
      ['503 StsThrottled', request(rig, functions, 'sign-request', identity, { now: now(), content: presignedGet(identity, now() + longUrlMinutes * MINUTE) })],
    ] as const);
    const outcomes = await Promise.all(sent.map(([, outcome]) => outcome));

    // Assess
    expect(outcomes.flatMap((outcome) => problemsOf(rig, outcome, ['503 StsThrottled']))).toEqual([]);
    expect(outcomes.map((outcome) => `${outcome.identity} ${resultOf(outcome)}`)).toEqual(sent.map(([expected], index) => `${outcomes[index]?.identity} ${expected}`));
    for (const outcome of outcomes.filter((signed) => resultOf(signed) === '200')) {
      expect(accessKeyIdOf(outcome)).toBe(cached.get(`sign-request/${outcome.identity}`));
    }
  });
});
