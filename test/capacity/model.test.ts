/**
 * The capacity model's parts, as specifications: the day's workload, FC's routing of requests to
 * instances, and the sampling that makes a million users a matter of seconds.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config';
import { CountingSts, DEFAULT_PLATFORM, EventFleet, type FleetOptions, type Instance, WebFleet } from '../../scripts/capacity/fleet';
import { ASSUME_ROLE_QUOTA, formatTable, usersAtTarget } from '../../scripts/capacity/report';
import { MODEL_SETTINGS, type Setup, simulate } from '../../scripts/capacity/simulate';
import { DEFAULT_WORKLOAD, hourlyShares, planSessions } from '../../scripts/capacity/workload';

describe('the workload', () => {
  it('has a busiest hour of exactly the peak factor times the average hour', () => {
    for (const factor of [1.5, 3, 5, 8]) {
      const shares = hourlyShares(factor);
      expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 9);
      expect(Math.max(...shares) * 24).toBeCloseTo(factor, 6);
    }
  });

  it('gives every user its sessions and its requests, in order of start, the same for the same seed', () => {
    const workload = { ...DEFAULT_WORKLOAD, users: 500 };
    const sessions = planSessions(workload);
    expect(sessions).toHaveLength(500 * workload.sessionsPerUser);
    const requests = new Map<number, number>();
    for (const { user, times } of sessions) requests.set(user, (requests.get(user) ?? 0) + times.length);
    expect(new Set(requests.values())).toEqual(new Set([workload.requestsPerUser]));
    const starts = sessions.map(({ times }) => times[0] as number);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(planSessions(workload)).toEqual(sessions);
  });

  it('puts the busiest hour\'s share of the sessions in the busiest hour', () => {
    const workload = { ...DEFAULT_WORKLOAD, users: 20_000 };
    const shares = hourlyShares(workload.peakFactor);
    const peak = shares.indexOf(Math.max(...shares));
    const inPeak = planSessions(workload).filter(({ times }) => Math.floor((times[0] as number) / 3_600_000) === peak).length;
    expect(inPeak / (workload.users * workload.sessionsPerUser)).toBeCloseTo(workload.peakFactor / 24, 2);
  });
});

describe('FC routing', () => {
  const clock = { now: 0 };
  const options = (overrides: Partial<FleetOptions['platform']> = {}): FleetOptions => ({
    platform: { ...DEFAULT_PLATFORM, ...overrides },
    config: loadConfig(MODEL_SETTINGS),
    sts: new CountingSts(() => clock.now, 86_400_000),
    clock: () => clock.now,
  });

  it('event functions: one request per instance; a finished instance is reused; one idle past the keep-warm time is released', () => {
    const fleet = new EventFleet(options(), Math.random);
    const first = fleet.route(0);
    fleet.hold(first, 0, 15);
    const second = fleet.route(10);
    fleet.hold(second, 10, 15);
    expect(second.id).not.toBe(first.id);
    // Both free again: no new instance.
    const third = fleet.route(30);
    fleet.hold(third, 30, 15);
    expect([first.id, second.id]).toContain(third.id);
    expect(fleet.instancesStarted).toBe(2);
    // Three minutes and more of idleness later, both are gone.
    const later = fleet.route(45 + DEFAULT_PLATFORM.keepWarmMs + 2000);
    expect(later.id).toBe(3);
    expect(fleet.peakInstances).toBe(2);
  });

  it('event functions, "recent" routing: the most recently freed instance takes the next request', () => {
    const fleet = new EventFleet(options({ routing: 'recent' }), Math.random);
    const instances: Instance[] = [0, 1, 2].map(() => fleet.route(0));
    instances.forEach((instance, index) => fleet.hold(instance, 0, 10 + index));
    expect(fleet.route(100).id).toBe((instances[2] as Instance).id);
  });

  it('web functions: up to instanceConcurrency requests per instance, a new one only when all are full, the least busy first', () => {
    const fleet = new WebFleet(options({ webConcurrency: 3 }));
    const ids = [0, 1, 2, 3].map((index) => {
      const instance = fleet.route(index);
      fleet.hold(instance, index, 1000);
      return instance.id;
    });
    expect(ids).toEqual([1, 1, 1, 2]);
    // The second instance has one request, the first three.
    expect(fleet.route(5).id).toBe(2);
    expect(fleet.peakInstances).toBe(2);
  });

  it('web functions share an instance\'s cache among its requests; event functions spread a user over instances', async () => {
    // 2,000 users, busy enough that event functions need many instances.
    const workload = { ...DEFAULT_WORKLOAD, users: 2000, thinkMs: 5000 };
    const platform = { ...DEFAULT_PLATFORM, serviceMs: 500 };
    const event = await simulate({ profile: 'event', client: 'v1', mode: 'scoped' }, { workload, platform });
    const web = await simulate({ profile: 'web', client: 'v1', mode: 'scoped' }, { workload, platform });
    expect(event.peakInstances).toBeGreaterThan(3);
    expect(web.peakInstances).toBeLessThan(event.peakInstances);
    expect(event.assumeRoleCalls).toBeGreaterThan(2 * web.assumeRoleCalls);
  });
});

describe('the model', () => {
  const workload = { ...DEFAULT_WORKLOAD, users: 3000 };

  it('counts no AssumeRole for signing with the function role, and one per session for vend-token with hour-long credentials', async () => {
    const functionMode = await simulate({ profile: 'event', client: 'v4', mode: 'function' }, { workload });
    expect(functionMode.assumeRoleCalls).toBe(0);
    expect(functionMode.functionCalls).toBe(workload.users * (workload.requestsPerUser + workload.sessionsPerUser));
    // Sessions hours apart, credentials for an hour: (nearly) every session needs new ones.
    const vendToken = await simulate({ profile: 'web', client: 'vend-token', mode: 'scoped' }, { workload });
    const sessions = workload.users * workload.sessionsPerUser;
    expect(vendToken.assumeRoleCalls).toBeGreaterThan(0.8 * sessions);
    expect(vendToken.assumeRoleCalls).toBeLessThanOrEqual(sessions);
  });

  it('V4 with session tickets costs what its sessions cost, however many requests they sign', async () => {
    const v4 = await simulate({ profile: 'event', client: 'v4', mode: 'scoped' }, { workload });
    const vendToken = await simulate({ profile: 'event', client: 'vend-token', mode: 'scoped' }, { workload });
    const v1 = await simulate({ profile: 'event', client: 'v1', mode: 'scoped' }, { workload });
    expect(Math.abs(v4.assumeRoleCalls - vendToken.assumeRoleCalls)).toBeLessThanOrEqual(0.05 * vendToken.assumeRoleCalls);
    expect(v1.assumeRoleCalls).toBeGreaterThan(2 * v4.assumeRoleCalls);
  });

  it('a shared cache with 12-hour credentials costs about one call per user a day', async () => {
    const shared = await simulate({ profile: 'event', client: 'v4', mode: 'scoped', durationSeconds: 43_200, cache: 'shared' }, { workload });
    expect(shared.assumeRoleCalls).toBeGreaterThanOrEqual(workload.users);
    expect(shared.assumeRoleCalls).toBeLessThan(1.5 * workload.users);
  });

  // Sampling: a tenth of the users through the providers, with a tenth of the cache, the rest as load.
  it.each<Setup>([
    { profile: 'event', client: 'v1', mode: 'scoped' },
    { profile: 'web', client: 'v1', mode: 'scoped' },
    { profile: 'event', client: 'v4', mode: 'scoped' },
  ])('a sample of the users gives the peak of simulating everyone, within 10%: %o', async (setup) => {
    // A cache of 1,000 so that at 12,000 users it evicts as the product's 10,000 would among far more.
    const platform = { ...DEFAULT_PLATFORM, maxCachedCredentials: 1000 };
    const day = { ...DEFAULT_WORKLOAD, users: 12_000 };
    const everyone = await simulate(setup, { workload: day, platform, sampleUsers: day.users });
    const sample = await simulate(setup, { workload: day, platform, sampleUsers: 1200 });
    expect(sample.sampledUsers).toBe(1200);
    expect(Math.abs(sample.peakHourPerSecond - everyone.peakHourPerSecond)).toBeLessThanOrEqual(0.1 * everyone.peakHourPerSecond);
    expect(Math.abs(sample.peakInstances - everyone.peakInstances)).toBeLessThanOrEqual(Math.max(2, 0.15 * everyone.peakInstances));
  });
});

describe('the report', () => {
  it('finds the user count at which a setup reaches half the quota, and says "never" for one that costs nothing', async () => {
    const setup: Setup = { profile: 'web', client: 'vend-token', mode: 'scoped' };
    const known = await simulate(setup, { workload: { ...DEFAULT_WORKLOAD, users: 100_000 } });
    const users = await usersAtTarget(setup, known);
    const there = await simulate(setup, { workload: { ...DEFAULT_WORKLOAD, users } });
    expect(there.peakHourPerSecond / (ASSUME_ROLE_QUOTA / 2)).toBeGreaterThan(0.9);
    expect(there.peakHourPerSecond / (ASSUME_ROLE_QUOTA / 2)).toBeLessThan(1.1);
    const free = await simulate({ profile: 'web', client: 'v4', mode: 'function' }, { workload: { ...DEFAULT_WORKLOAD, users: 100 } });
    expect(await usersAtTarget(free.setup, free)).toBe(Number.POSITIVE_INFINITY);
    expect(formatTable([{ result: free, usersAtTarget: Number.POSITIVE_INFINITY }])).toContain('| web | V1 or V4 self-signing | function | 3600 | per instance | 0.0 | 0% | 0 | 1 | never |');
  });
});
