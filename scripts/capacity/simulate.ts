/**
 * The capacity model: a discrete-event simulation of one day. Users open sessions (workload.ts);
 * an app does in each what its client kind does (below), and every call it makes to a function
 * reaches Function Compute's instances (fleet.ts), whose real credential providers decide when to
 * call STS. What is counted is what the STS quota counts: AssumeRole calls per second, across
 * every instance of the account.
 *
 * Sampling: at a million users a day has 20 million signed requests, and the real provider spends
 * about 5 µs on each. So only a sample of the users (`sampleUsers`, by default 20,000) is simulated
 * request by request through the providers; the other users' calls are the load that decides how
 * many instances there are and which one a sampled request lands on (a Poisson stream at the same
 * daily curve, each call holding its instance as long as a sampled call does on average), and each
 * instance caches the sample's share of the product's 10,000 credentials, so that an entry stays
 * as long in the smaller cache as it would among everyone's (an LRU cache's hit ratio depends on
 * how long an entry survives, which this keeps). The sample's AssumeRole calls are then scaled up
 * by users / sample. With every user sampled (small scales, the validation) nothing is scaled.
 */
import { type Environment, type TvmConfig, loadConfig } from '../../shared/config/load-config';
import { TvmError } from '../../shared/errors';
import type { CredentialRequest } from '../../shared/sts/credential-provider';
import { MemoryStore } from './memory-store';
import type { AccessCredentials } from '../../shared/sts/sts-client';
import { CountingSts, DEFAULT_PLATFORM, EventFleet, type Fleet, type Platform, WebFleet } from './fleet';
import { MinHeap } from './min-heap';
import { DEFAULT_WORKLOAD, type PlannedSession, type Workload, hourlyShares, planSessions, randomSource } from './workload';

/**
 * How an app signs its OSS requests, and so which of its calls reach a function and which of those
 * ask the instance's credential cache:
 * - `v1`: V1 self-signing, the classic SDKs' custom-signer callback (text or JSON): one sign-request
 *   call per OSS request; in `scoped` mode each asks the cache for the caller's credentials;
 * - `v4`: V4 self-signing (hash-only `RemoteSignerV4` or canonical requests): a signing session
 *   (`GET /`, which asks the cache in `scoped` mode) when the app session starts and again when its
 *   credentials are 5 minutes from expiry (as the SDKs refresh), then one sign-request call per OSS
 *   request carrying the session ticket, which any instance signs with, without cache or STS
 *   (`TVM_SIGNING_SESSION_KEY` set, README "Signature V4");
 * - `vend-token`: one vend-token call when the session starts and again 5 minutes before expiry; the
 *   app signs its OSS requests itself, so they reach no function.
 * In `function` mode sign-request signs with the function role's credentials and asks no cache.
 */
export type ClientKind = 'v1' | 'v4' | 'vend-token';

/** A deployment profile, the credentials sign-request signs with, and how apps use it. */
export interface Setup {
  readonly profile: 'event' | 'web';
  readonly client: ClientKind;
  /** `TVM_SIGNING_CREDENTIALS`; vend-token always hands out scoped credentials. */
  readonly mode: 'scoped' | 'function';
  /** `TVM_DURATION_SECONDS`; default 3600. */
  readonly durationSeconds?: number;
  /**
   * `instance` (the default): each instance its own cache of `maxCachedCredentials`;
   * `shared`: the product's shared credential cache (`TVM_SHARED_CACHE_URL`) in front of STS as well,
   * on a store that holds every user's credentials (memory-store.ts: Redis sized for them).
   */
  readonly cache?: 'instance' | 'shared';
}

/** What a simulated day cost. */
export interface SimulationResult {
  readonly setup: Setup;
  readonly users: number;
  /** Users simulated request by request. */
  readonly sampledUsers: number;
  /** Calls to the functions over the day (the sample's, and everyone else's). */
  readonly functionCalls: number;
  /** AssumeRole calls over the day (scaled up). */
  readonly assumeRoleCalls: number;
  /** Calls refused 429 by the product's per-user STS budget (scaled up). */
  readonly refused: number;
  /** AssumeRole calls per second over the busiest hour (a sliding 60-minute window). */
  readonly peakHourPerSecond: number;
  /** AssumeRole calls per second in the busiest minute. */
  readonly peakMinutePerSecond: number;
  readonly peakInstances: number;
  readonly instancesStarted: number;
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  readonly workload?: Workload;
  readonly platform?: Platform;
  /** TVM_* settings beyond the model's own (TVM_DURATION_SECONDS, TVM_STS_CALLS_PER_HOUR, …). */
  readonly settings?: Environment;
  /** Users simulated request by request; the rest are load. Default 20,000 (all of them when fewer). */
  readonly sampleUsers?: number;
}


/** The settings every simulated instance loads, as a deployment would set them. */
export const MODEL_SETTINGS: Readonly<Record<string, string>> = {
  TVM_ROLE_ARN: 'acs:ram::1234567890123456:role/oss-tvm-app',
  TVM_BUCKET: 'photos',
  TVM_REGION: 'cn-hangzhou',
  TVM_JWT_ISSUER: 'https://id.example.com/',
  TVM_JWT_AUDIENCE: 'photo-app',
  TVM_JWT_SECRET: 'capacity-model-secret-capacity-model-secret',
};

/** The SDKs refresh credentials this long before they expire (README, "Android (classic SDK)"). */
export const SDK_REFRESH_MS = 5 * 60_000;

const DEFAULT_SAMPLE_USERS = 20_000;
/** The shared cache's settings in the model: the URL is never dialled (the fleet gets a {@link MemoryStore}). */
const MODEL_SHARED_CACHE = { TVM_SHARED_CACHE_URL: 'redis://capacity-model.invalid:6379', TVM_SHARED_CACHE_KEY: Buffer.alloc(32, 7).toString('base64') };
const FUNCTION_ROLE: AccessCredentials = { accessKeyId: 'STS.function-role', accessKeySecret: 'function-role', securityToken: 'function-role' };

interface Session {
  readonly plan: PlannedSession;
  /** Which of its requests comes next. */
  next: number;
  /** When the credentials the app holds expire (ms); 0 before it has any, Infinity for the function role's. */
  expiresAt: number;
}

/** Simulates one day of `setup` and counts its AssumeRole calls. */
export async function simulate(setup: Setup, options: SimulationOptions = {}): Promise<SimulationResult> {
  const workload = options.workload ?? DEFAULT_WORKLOAD;
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const config: TvmConfig = loadConfig({
    ...MODEL_SETTINGS,
    ...options.settings,
    TVM_SIGNING_CREDENTIALS: setup.mode,
    ...(setup.durationSeconds === undefined ? {} : { TVM_DURATION_SECONDS: String(setup.durationSeconds) }),
    ...(setup.cache === 'shared' ? MODEL_SHARED_CACHE : {}),
  });
  const sampledUsers = Math.min(workload.users, options.sampleUsers ?? DEFAULT_SAMPLE_USERS);
  const scale = workload.users / sampledUsers;
  const clock = { now: 0 };
  const sts = new CountingSts(() => clock.now, workload.dayMs);
  const fleetOptions = {
    platform,
    config,
    sts,
    clock: () => clock.now,
    maxCachedCredentials: Math.max(1, Math.round(platform.maxCachedCredentials / scale)),
    // The shared store holds everyone: Redis is sized for it (README, "Shared credential cache").
    ...(setup.cache === 'shared' ? { sharedStore: new MemoryStore(() => clock.now) } : {}),
  };
  const fleet: Fleet = setup.profile === 'event' ? new EventFleet(fleetOptions, randomSource(workload.seed + 1)) : new WebFleet(fleetOptions);
  const requests = new Map<number, CredentialRequest>();
  const requestOf = (user: number): CredentialRequest => {
    let request = requests.get(user);
    if (request === undefined) {
      const identity = `user-${user}`;
      // The product's key fields; the policy stands in by the user's prefix.
      request = { roleArn: config.roleArn, identity, scope: 'user', policy: `users/${identity}/`, roleSessionName: identity, durationSeconds: config.durationSeconds };
      requests.set(user, request);
    }
    return request;
  };

  let sampledCalls = 0;
  let refused = 0;
  /** AssumeRole calls per call of a sampled user, lately: how long the other users' calls hold their instances. */
  let stsShare = 0;

  /** One call of a sampled user to a function at `at`; resolves with when the credentials it got expire (Infinity: the function role's). */
  const call = async (session: Session, at: number, asksCache: boolean): Promise<number> => {
    const instance = fleet.route(at);
    sampledCalls += 1;
    let expiresAt = Number.POSITIVE_INFINITY;
    let cache: 'hit' | 'shared' | 'miss' | 'coalesced' | 'stale' | 'refused' | undefined;
    if (asksCache) {
      try {
        const provided = await instance.service.credentials.get(FUNCTION_ROLE, requestOf(session.plan.user), { now: at });
        cache = provided.cache;
        expiresAt = provided.credentials.expiration.getTime();
      } catch (error) {
        if (!(error instanceof TvmError && error.code === 'TooManyRequests')) throw error;
        cache = 'refused';
        refused += 1;
        expiresAt = 0;
      }
    }
    stsShare += ((cache === 'miss' ? 1 : 0) - stsShare) / 1000;
    fleet.hold(instance, at, platform.serviceMs + (cache === 'miss' ? platform.stsLatencyMs : 0));
    return expiresAt;
  };

  /** The app's next OSS request, at `at`: the calls to the functions it takes. */
  const request = async (session: Session, at: number): Promise<void> => {
    if (setup.client !== 'v1' && at >= session.expiresAt - SDK_REFRESH_MS) {
      session.expiresAt = await call(session, at, setup.client === 'vend-token' || setup.mode === 'scoped');
    }
    if (setup.client !== 'vend-token') await call(session, at, setup.client === 'v1' && setup.mode === 'scoped');
  };

  // Sampled users' sessions by their start, and the sessions under way by their next request.
  const sessions = planSessions({ ...workload, users: sampledUsers });
  let started = 0;
  const pending = new MinHeap<Session>();

  // Everyone else's calls: a Poisson stream following the daily curve.
  const shares = hourlyShares(workload.peakFactor);
  const hourMs = workload.dayMs / shares.length;
  const others = workload.users - sampledUsers;
  // Per session: a signature per request (V1, V4), a signing session (V4), a vend-token call; refreshes are rare.
  const otherCallsPerSession = setup.client === 'vend-token' ? 1 : workload.requestsPerUser / workload.sessionsPerUser + (setup.client === 'v4' ? 1 : 0);
  const otherRandom = randomSource(workload.seed + 2);
  // Calls per ms in each hour of the day.
  const rates = shares.map((share) => (others * workload.sessionsPerUser * otherCallsPerSession * share) / hourMs);
  let otherCalls = 0;
  const nextOther = (from: number): number => {
    let at = from;
    for (let hour = Math.floor(at / hourMs); hour < rates.length; hour++) {
      const rate = rates[hour] as number;
      const next = rate > 0 ? at - Math.log(1 - otherRandom()) / rate : Number.POSITIVE_INFINITY;
      // A draw past the hour's end starts again at its end (the stream is memoryless).
      if (next < (hour + 1) * hourMs) return next;
      at = (hour + 1) * hourMs;
    }
    return Number.POSITIVE_INFINITY;
  };
  let other = others > 0 ? nextOther(0) : Number.POSITIVE_INFINITY;

  for (;;) {
    const startAt = started < sessions.length ? ((sessions[started] as PlannedSession).times[0] as number) : Number.POSITIVE_INFINITY;
    const pendingAt = pending.size > 0 ? (pending.peekKey() as number) : Number.POSITIVE_INFINITY;
    const next = Math.min(startAt, pendingAt, other);
    if (next === Number.POSITIVE_INFINITY) break;
    clock.now = next;
    if (other === next) {
      const instance = fleet.route(next);
      fleet.hold(instance, next, platform.serviceMs + (otherRandom() < stsShare ? platform.stsLatencyMs : 0));
      otherCalls += 1;
      other = nextOther(next);
      continue;
    }
    const session = startAt === next ? { plan: sessions[started++] as PlannedSession, next: 0, expiresAt: 0 } : (pending.pop() as Session);
    await request(session, next);
    session.next += 1;
    if (session.next < session.plan.times.length) pending.push(session.plan.times[session.next] as number, session);
  }

  const { peakHour, peakMinute } = peaks(sts.perMinute);
  return {
    setup,
    users: workload.users,
    sampledUsers,
    functionCalls: sampledCalls + otherCalls,
    assumeRoleCalls: Math.round(sts.calls * scale),
    refused: Math.round(refused * scale),
    peakHourPerSecond: (peakHour * scale) / 3600,
    peakMinutePerSecond: (peakMinute * scale) / 60,
    peakInstances: fleet.peakInstances,
    instancesStarted: fleet.instancesStarted,
  };
}

/** The busiest 60-minute window and the busiest minute of a per-minute count. */
function peaks(perMinute: Uint32Array): { peakHour: number; peakMinute: number } {
  let window = 0;
  let peakHour = 0;
  let peakMinute = 0;
  for (let minute = 0; minute < perMinute.length; minute++) {
    window += perMinute[minute] as number;
    if (minute >= 60) window -= perMinute[minute - 60] as number;
    peakHour = Math.max(peakHour, window);
    peakMinute = Math.max(peakMinute, perMinute[minute] as number);
  }
  return { peakHour, peakMinute };
}
