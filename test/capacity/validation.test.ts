/**
 * The capacity model against the product: the same day of traffic (the model's workload, scaled
 * down to a few dozen users) is simulated by the model and sent, request by request, to the real
 * sandbox (`startSandbox`: the web profile's server, its functions, the STS emulator) by a client
 * that behaves as the SDKs do: a V1 custom signer asks sign-request for every request; a V4 app
 * opens a signing session and sends its ticket with every signature request; a vend-token app asks
 * once per session; both refresh 5 minutes before the Expiration they were given. The AssumeRole
 * calls the STS emulator counts must be those the model counts, within 10%.
 *
 * The sandbox is one instance that lives through the day, so the model runs one web-function
 * instance kept warm all day: what is checked is the model's account of the product (which calls
 * ask the cache, how the cache's freshness and the SDKs' refresh meet, what a ticket saves), not
 * Function Compute's routing, which no local run can show.
 *
 * Functions, STS client and STS emulator share a clock the test moves to each request's time, so a
 * day passes in seconds; credentials last 15 minutes (TVM_DURATION_SECONDS=900) and requests come a
 * minute apart on average, so sessions outlive credentials and the refresh paths are taken.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { DEFAULT_PLATFORM } from '../../scripts/capacity/fleet';
import { type ClientKind, SDK_REFRESH_MS, type Setup, simulate } from '../../scripts/capacity/simulate';
import { DEFAULT_WORKLOAD, type PlannedSession, type Workload, planSessions } from '../../scripts/capacity/workload';

/** Each run has a day of its own, two days after the last: nothing it cached is fresh for the next. */
let dayStart = Date.UTC(2026, 10, 2);
const WORKLOAD: Workload = { ...DEFAULT_WORKLOAD, users: 24, thinkMs: 60_000, seed: 7 };
const SETTINGS = { TVM_DURATION_SECONDS: '900' };

let clock = dayStart;
const sandboxes: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
});

/** A sandbox with its own STS emulator, on the test's clock. */
async function sandbox(mode: Setup['mode']): Promise<Sandbox> {
  const started = await startSandbox({
    port: 0,
    now: () => clock,
    logger: { request: () => {}, event: () => {} },
    environment: { ...SETTINGS, TVM_SIGNING_CREDENTIALS: mode, TVM_SIGNING_SESSION_KEY: randomBytes(32).toString('base64') },
  });
  sandboxes.push(started);
  expect(started.configurationProblems).toEqual([]);
  return started;
}

/** What an app holds during a session. */
interface AppSession {
  readonly plan: PlannedSession;
  next: number;
  /** When its credentials expire (ms); 0 before it has any. */
  expiresAt: number;
  accessKeyId?: string;
  ticket?: string;
}

/** Sends the day's requests of `client` to `target` in time order, as the SDKs would; resolves with the number of calls to the functions. */
async function runDay(target: Sandbox, client: ClientKind, tokens: ReadonlyMap<number, string>): Promise<number> {
  dayStart += 2 * 86_400_000;
  const sessions = planSessions(WORKLOAD);
  const events = sessions.flatMap((plan) => plan.times.map((at, index) => ({ at, index, plan })));
  events.sort((a, b) => a.at - b.at || (a.plan.times[0] as number) - (b.plan.times[0] as number));
  const states = new Map<PlannedSession, AppSession>();
  const signUrl = `${target.functionUrls['sign-request']}/`;
  const vendUrl = `${target.functionUrls['vend-token']}/`;
  let calls = 0;
  const send = async (url: string, init: RequestInit, token: string): Promise<Response> => {
    calls += 1;
    const response = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
    return response;
  };
  for (const { at, plan } of events) {
    clock = dayStart + at;
    const token = tokens.get(plan.user) as string;
    const session = states.get(plan) ?? { plan, next: 0, expiresAt: 0 };
    states.set(plan, session);
    const key = `users/user-${plan.user}/photo-${session.next}.jpg`;
    session.next += 1;
    const stale = clock >= session.expiresAt - SDK_REFRESH_MS;
    if (client === 'v1') {
      // The classic SDKs' custom signer: the V1 string to sign of a PUT, in text mode.
      const stringToSign = `PUT\n\nimage/jpeg\n${new Date(clock).toUTCString()}\n/${target.settings['TVM_BUCKET']}/${key}`;
      await send(signUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: stringToSign }, token);
    } else if (client === 'vend-token') {
      if (stale) {
        const body = (await (await send(vendUrl, { method: 'POST' }, token)).json()) as { Expiration: string };
        session.expiresAt = Date.parse(body.Expiration);
      }
    } else {
      if (stale) {
        const body = (await (await send(signUrl, { method: 'GET' }, token)).json()) as { Expiration: string; AccessKeyId: string; SessionTicket: string };
        Object.assign(session, { expiresAt: Date.parse(body.Expiration), accessKeyId: body.AccessKeyId, ticket: body.SessionTicket });
      }
      // RemoteSignerV4's map for the PUT: what the SDK hands its signer, with the session's ticket.
      const time = new Date(clock).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const day = time.slice(0, 8);
      const stringToSign = `OSS4-HMAC-SHA256\n${time}\n${day}/cn-hangzhou/oss/aliyun_v4_request\n${randomBytes(32).toString('hex')}`;
      const map = { version: 'v4', method: 'PUT', bucket: target.settings['TVM_BUCKET'], key, stringToSign, region: 'cn-hangzhou', product: 'oss', date: day, accessKeyId: session.accessKeyId };
      await send(signUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tvm-session-ticket': session.ticket as string }, body: JSON.stringify(map) }, token);
    }
  }
  return calls;
}

/** A token of the sandbox's demo issuer for each user of the workload. */
async function tokensOf(target: Sandbox): Promise<Map<number, string>> {
  const users = Array.from({ length: WORKLOAD.users }, (_, user) => user);
  return new Map(await Promise.all(users.map(async (user) => [user, await target.issuer.issue(`user-${user}`)] as const)));
}

describe('the capacity model, against the sandbox at small scale', () => {
  const targets = new Map<Setup['mode'], { sandbox: Sandbox; tokens: Map<number, string> }>();

  beforeAll(async () => {
    for (const mode of ['scoped', 'function'] as const) {
      const started = await sandbox(mode);
      targets.set(mode, { sandbox: started, tokens: await tokensOf(started) });
    }
  });

  it.each([
    ['v1', 'scoped'],
    ['v4', 'scoped'],
    ['vend-token', 'scoped'],
    ['v1', 'function'],
  ] as const)('counts the AssumeRole calls the sandbox makes for %s clients in %s mode, within 10%%', async (client, mode) => {
    // Prepare: the sandbox signing in that mode.
    const { sandbox: target, tokens } = targets.get(mode) as { sandbox: Sandbox; tokens: Map<number, string> };
    const before = target.sts?.assumeRoleCalls ?? 0;

    // Act: the day through the sandbox, and through the model (one instance, warm all day).
    const calls = await runDay(target, client, tokens);
    const measured = (target.sts?.assumeRoleCalls ?? 0) - before;
    const modelled = await simulate({ profile: 'web', client, mode }, { workload: WORKLOAD, settings: SETTINGS, platform: { ...DEFAULT_PLATFORM, keepWarmMs: Number.POSITIVE_INFINITY } });

    // Assess: every call answered, the model made as many calls, and as many AssumeRole within 10%.
    expect(modelled.sampledUsers).toBe(WORKLOAD.users);
    expect(modelled.functionCalls).toBe(calls);
    if (mode === 'function') {
      expect([measured, modelled.assumeRoleCalls]).toEqual([0, 0]);
    } else {
      expect(measured).toBeGreaterThan(WORKLOAD.users * WORKLOAD.sessionsPerUser * 0.5);
      expect(Math.abs(modelled.assumeRoleCalls - measured)).toBeLessThanOrEqual(0.1 * measured);
    }
  });
});
