/**
 * The workload of the capacity model: users who each open a few sessions a day and make their
 * signed OSS requests in them, at times that follow a daily curve whose busiest hour carries
 * `peakFactor` times the average hour's traffic.
 */

/** What a day of traffic looks like. */
export interface Workload {
  /** Daily active users. */
  readonly users: number;
  /** Sessions each user opens a day ("a few"). */
  readonly sessionsPerUser: number;
  /** Signed OSS requests each user makes a day, spread over the sessions. */
  readonly requestsPerUser: number;
  /** The busiest hour's traffic over the average hour's. */
  readonly peakFactor: number;
  /** Mean pause between two requests of a session, in ms (exponentially distributed). */
  readonly thinkMs: number;
  /** Length of the day, in ms (86,400,000; shorter only to compress a test). */
  readonly dayMs: number;
  /** Seed of the pseudo-random generator: the same seed, the same day. */
  readonly seed: number;
}

/** The workload of issue 11: a million daily users, 20 signed requests in 3 sessions, peak hour 5× the average. */
export const DEFAULT_WORKLOAD: Workload = {
  users: 1_000_000,
  sessionsPerUser: 3,
  requestsPerUser: 20,
  peakFactor: 5,
  thinkMs: 20_000,
  dayMs: 86_400_000,
  seed: 1,
};

const HOURS = 24;

/** A small, fast, seeded pseudo-random generator (mulberry32): numbers in [0, 1). */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The share of the day's traffic in each of its 24 hours: a quiet floor plus an evening bump
 * (centred on hour 20) whose width is chosen so that the busiest hour is exactly `peakFactor` times
 * the average hour.
 */
export function hourlyShares(peakFactor: number): number[] {
  if (!(peakFactor >= 1 && peakFactor < HOURS)) throw new Error(`the peak factor must be at least 1 and below ${HOURS}: ${peakFactor}`);
  const shape = (width: number): number[] => {
    const raw = Array.from({ length: HOURS }, (_, hour) => {
      const distance = Math.min(Math.abs(hour + 0.5 - 20.5), HOURS - Math.abs(hour + 0.5 - 20.5));
      return 0.05 + Math.exp(-(distance * distance) / (2 * width * width));
    });
    const total = raw.reduce((sum, value) => sum + value, 0);
    return raw.map((value) => value / total);
  };
  const peakOf = (width: number): number => Math.max(...shape(width)) * HOURS;
  // A wider bump lowers the peak: bisect on the width.
  let narrow = 0.05;
  let wide = 48;
  if (peakOf(wide) > peakFactor) return shape(wide);
  for (let step = 0; step < 100; step++) {
    const middle = (narrow + wide) / 2;
    if (peakOf(middle) > peakFactor) narrow = middle;
    else wide = middle;
  }
  return shape((narrow + wide) / 2);
}

/** The index of the busiest hour of {@link hourlyShares}. */
export function peakHour(shares: readonly number[]): number {
  return shares.indexOf(Math.max(...shares));
}

/** Users' session starts encoded with the user in one number, so one numeric sort orders them. */
const USER_BITS = 2 ** 22;

/** The largest number of users the encoding holds. */
export const MAX_USERS = USER_BITS - 1;

/** A session about to start: who, and when (ms into the day). */
export interface SessionStart {
  readonly user: number;
  readonly at: number;
}

/**
 * Every session of the day, in time order: each user's `sessionsPerUser` sessions start at
 * independent times drawn from the daily curve (uniform within an hour).
 */
export function* sessionStarts(workload: Workload, random: () => number): Generator<SessionStart> {
  if (workload.users > MAX_USERS) throw new Error(`at most ${MAX_USERS} users`);
  const shares = hourlyShares(workload.peakFactor);
  const cumulative: number[] = [];
  shares.reduce((sum, share, index) => (cumulative[index] = sum + share), 0);
  const hourMs = workload.dayMs / HOURS;
  const count = workload.users * workload.sessionsPerUser;
  const encoded = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const pick = random();
    let hour = 0;
    while (hour < HOURS - 1 && (cumulative[hour] as number) < pick) hour++;
    const at = Math.floor((hour + random()) * hourMs);
    encoded[index] = at * USER_BITS + (index % workload.users);
  }
  encoded.sort();
  for (const value of encoded) {
    const at = Math.floor(value / USER_BITS);
    yield { user: value - at * USER_BITS, at };
  }
}

/** How many requests each of a user's sessions carries: `requestsPerUser` shared as evenly as can be. */
export function requestsInSession(workload: Workload, sessionIndex: number): number {
  const base = Math.floor(workload.requestsPerUser / workload.sessionsPerUser);
  return base + (sessionIndex < workload.requestsPerUser % workload.sessionsPerUser ? 1 : 0);
}

/** One session of a user: the times (ms into the day) of its signed OSS requests, the first when it starts. */
export interface PlannedSession {
  readonly user: number;
  readonly times: readonly number[];
}

/**
 * The day's sessions, in order of their start: each user's `sessionsPerUser` sessions
 * ({@link sessionStarts}), each with its share of the user's requests ({@link requestsInSession}),
 * one pause between two requests drawn from an exponential distribution of mean `thinkMs`. The same
 * workload (seed included) gives the same day.
 *
 * @example
 * ```ts
 * for (const { user, times } of planSessions({ ...DEFAULT_WORKLOAD, users: 10 })) console.log(user, times);
 * ```
 */
export function planSessions(workload: Workload): PlannedSession[] {
  const random = randomSource(workload.seed);
  const opened = new Uint8Array(workload.users);
  const sessions: PlannedSession[] = [];
  for (const { user, at } of sessionStarts(workload, random)) {
    const count = requestsInSession(workload, (opened[user] as number)++);
    const times: number[] = [];
    for (let index = 0, time = at; index < count; index++, time += -Math.log(1 - random()) * workload.thinkMs) times.push(time);
    if (times.length > 0) sessions.push({ user, times });
  }
  return sessions;
}
