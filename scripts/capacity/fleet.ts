/**
 * Function Compute's instances, as the capacity model routes requests to them. Each instance holds
 * the product's real credential provider, built by `createVendingService` exactly as a function
 * instance builds it at cold start (cache, STS call budget), on the simulation's clock, with an STS
 * client that only counts.
 *
 * - **Event functions** (nodejs20): one request per instance at a time ("Standard runtimes of
 *   Function Compute no longer support the instance concurrency feature", FC help, *Comparison and
 *   compatibility between Function Compute 3.0 and Function Compute 2.0*). A request goes to an
 *   idle instance if there is one, else to a new one. Which idle instance FC picks is not
 *   documented: `random` (the default, which spreads a user's requests most) or `recent` (the most
 *   recently used first).
 * - **Web functions** (custom runtime): up to `webConcurrency` requests per instance at once; a
 *   request goes to the least busy instance with room, to a new instance only when all are full
 *   (not documented either; the least busy spreads requests most, which costs the caches most).
 * - Either kind: an instance with no request for `keepWarmMs` is released with its cache ("On-demand
 *   instances are destroyed when no requests are sent for processing for a period of time (usually
 *   3 to 5 minutes)", FC help, *Why do functions that are infrequently used take a longer period of
 *   time to invoke?*; the model takes the short end, 3 minutes, which costs the caches most).
 */
import type { TvmConfig } from '../../shared/config/load-config';
import type { Logger } from '../../shared/log';
import type { SharedStore } from '../../shared/sts/shared-cache/shared-store';
import type { AccessCredentials, AssumeRoleClient, AssumeRoleInput, AssumeRoleResult } from '../../shared/sts/sts-client';
import { type VendingService, createVendingService } from '../../shared/vending/caller-credentials';

/** How the platform is modelled. */
export interface Platform {
  /** An instance idle this long is released. */
  readonly keepWarmMs: number;
  /** How long a request holds its instance (or its slot), in ms, without an STS call. */
  readonly serviceMs: number;
  /** What an STS call adds to that. */
  readonly stsLatencyMs: number;
  /** Requests one web-function instance serves at once (`instanceConcurrency`, s.web.yaml: 100). */
  readonly webConcurrency: number;
  /** Which idle event-function instance takes a request. */
  readonly routing: 'random' | 'recent';
  /** Credentials one instance caches at most (the product's default: 10,000). */
  readonly maxCachedCredentials: number;
}

export const DEFAULT_PLATFORM: Platform = {
  keepWarmMs: 3 * 60_000,
  serviceMs: 15,
  stsLatencyMs: 40,
  webConcurrency: 100,
  routing: 'random',
  maxCachedCredentials: 10_000,
};

/** The STS of the whole account, as the quota sees it: AssumeRole calls counted per simulated minute. */
export class CountingSts implements AssumeRoleClient {
  readonly perMinute: Uint32Array;
  calls = 0;

  constructor(private readonly clock: () => number, dayMs: number) {
    // A session that starts late in the day ends after it.
    this.perMinute = new Uint32Array(Math.ceil(dayMs / 60_000) + 24 * 60);
  }

  assumeRole(_caller: AccessCredentials, input: AssumeRoleInput): Promise<AssumeRoleResult> {
    const now = this.clock();
    this.calls += 1;
    const minute = Math.min(this.perMinute.length - 1, Math.floor(now / 60_000));
    this.perMinute[minute] = (this.perMinute[minute] as number) + 1;
    const serial = this.calls.toString(36);
    // STS states the expiry in whole seconds (ISO 8601 without a fraction).
    const expiration = new Date(Math.floor((now + input.durationSeconds * 1000) / 1000) * 1000);
    return Promise.resolve({
      credentials: { accessKeyId: `STS.${serial}`, accessKeySecret: serial, securityToken: serial, expiration },
      requestId: serial,
    });
  }
}

/** The model's instances log nothing (a memory store never fails). */
const SILENT: Logger = { request: () => undefined, event: () => undefined };

/** One function instance: its cache and budget (built when it first needs them), and what it is doing. */
export class Instance {
  private built: VendingService | undefined;
  /** Event functions: when its request ends. */
  busyUntil = 0;
  /** Web functions: requests in flight. */
  inFlight = 0;
  /** When it last finished a request. */
  idleSince: number;

  constructor(readonly id: number, at: number, private readonly build: () => VendingService) {
    this.idleSince = at;
  }

  /** The instance's vending service, as its cold start builds it. */
  get service(): VendingService {
    this.built ??= this.build();
    return this.built;
  }
}

/** A fleet of instances behind FC's routing. Requests arrive in time order. */
export interface Fleet {
  /** The instance that serves a request arriving `at`; it is taken until {@link hold} says when it is done. */
  route(at: number): Instance;
  /** The request routed to `instance` at `at` holds it for `durationMs`. */
  hold(instance: Instance, at: number, durationMs: number): void;
  /** Instances alive at most at once. */
  readonly peakInstances: number;
  /** Instances started over the day. */
  readonly instancesStarted: number;
}

/** Options every fleet shares: the platform, the configuration its instances load, their STS and clock. */
export interface FleetOptions {
  readonly platform: Platform;
  readonly config: TvmConfig;
  readonly sts: AssumeRoleClient;
  readonly clock: () => number;
  /** Credentials each instance caches (and identities it budgets); default the platform's. */
  readonly maxCachedCredentials?: number;
  /**
   * The store behind the product's shared credential cache, when `config.sharedCache` is set: every
   * instance keeps its own cache and asks this one store before STS, as a fleet sharing one Redis does.
   */
  readonly sharedStore?: SharedStore;
}

abstract class BaseFleet implements Fleet {
  peakInstances = 0;
  instancesStarted = 0;
  protected alive = 0;
  /** When idle instances were last checked for release. */
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(protected readonly options: FleetOptions) {}

  abstract route(at: number): Instance;
  abstract hold(instance: Instance, at: number, durationMs: number): void;
  /** Releases the instances idle past the keep-warm time at `at`. */
  protected abstract release(at: number): void;

  /** Releases idle instances at most once a simulated second: their caches go with them. */
  protected sweep(at: number): void {
    if (at - this.sweptAt < 1000) return;
    this.sweptAt = at;
    this.release(at);
  }

  protected expired(instance: Instance, at: number): boolean {
    return at - instance.idleSince > this.options.platform.keepWarmMs;
  }

  protected start(at: number): Instance {
    const { config, sts, clock } = this.options;
    const maxCachedCredentials = this.options.maxCachedCredentials ?? this.options.platform.maxCachedCredentials;
    this.instancesStarted += 1;
    this.alive += 1;
    this.peakInstances = Math.max(this.peakInstances, this.alive);
    const { sharedStore } = this.options;
    return new Instance(this.instancesStarted, at, () => createVendingService(config, { sts, now: clock, maxCachedCredentials, ...(sharedStore === undefined ? {} : { sharedStore, logger: SILENT }) }));
  }
}

/** Event functions: one request per instance. */
export class EventFleet extends BaseFleet {
  private readonly busy = new Completions();
  private idle: Instance[] = [];

  constructor(options: FleetOptions, private readonly random: () => number) {
    super(options);
  }

  route(at: number): Instance {
    for (let done = this.busy.pop(at); done !== undefined; done = this.busy.pop(at)) {
      done.idleSince = done.busyUntil;
      this.idle.push(done);
    }
    this.sweep(at);
    for (;;) {
      if (this.idle.length === 0) return this.start(at);
      // Swap-remove: the idle list has no order once a random one is taken.
      const index = this.options.platform.routing === 'recent' ? this.mostRecent() : Math.floor(this.random() * this.idle.length);
      const instance = this.idle[index] as Instance;
      this.idle[index] = this.idle[this.idle.length - 1] as Instance;
      this.idle.pop();
      if (!this.expired(instance, at)) return instance;
      this.alive -= 1;
    }
  }

  hold(instance: Instance, at: number, durationMs: number): void {
    instance.busyUntil = at + durationMs;
    this.busy.push(at, durationMs, instance);
  }

  protected release(at: number): void {
    const before = this.idle.length;
    this.idle = this.idle.filter((instance) => !this.expired(instance, at));
    this.alive -= before - this.idle.length;
  }

  private mostRecent(): number {
    let best = 0;
    for (let index = 1; index < this.idle.length; index++) {
      if ((this.idle[index] as Instance).idleSince > (this.idle[best] as Instance).idleSince) best = index;
    }
    return best;
  }
}

/** Web functions: up to `webConcurrency` requests per instance. */
export class WebFleet extends BaseFleet {
  private readonly running = new Completions();
  private instances: Instance[] = [];

  route(at: number): Instance {
    for (let instance = this.running.pop(at); instance !== undefined; instance = this.running.pop(at)) {
      instance.inFlight -= 1;
      if (instance.inFlight === 0) instance.idleSince = this.running.poppedAt;
    }
    this.sweep(at);
    let chosen: Instance | undefined;
    for (const instance of this.instances) {
      if (instance.inFlight >= this.options.platform.webConcurrency || (instance.inFlight === 0 && this.expired(instance, at))) continue;
      if (chosen === undefined || instance.inFlight < chosen.inFlight) chosen = instance;
    }
    if (chosen === undefined) {
      chosen = this.start(at);
      this.instances.push(chosen);
    }
    chosen.inFlight += 1;
    return chosen;
  }

  hold(instance: Instance, at: number, durationMs: number): void {
    this.running.push(at, durationMs, instance);
  }

  protected release(at: number): void {
    const before = this.instances.length;
    this.instances = this.instances.filter((instance) => instance.inFlight > 0 || !this.expired(instance, at));
    this.alive -= before - this.instances.length;
  }
}

/**
 * Requests under way, by when they end. A request holds its instance for one of very few
 * durations (with or without an STS call), and requests arrive in time order, so the requests of
 * one duration also end in the order they arrived: a queue per duration replaces a heap, and the
 * next to end is the earliest of the queues' heads. This is what makes the 20 million calls of a
 * full-scale day a matter of seconds.
 */
class Completions {
  private readonly queues: Queue[] = [];
  /** When the request {@link pop} last returned ended. */
  poppedAt = 0;

  push(at: number, durationMs: number, instance: Instance): void {
    let queue = this.queues.find((candidate) => candidate.durationMs === durationMs);
    if (queue === undefined) {
      queue = { durationMs, ends: [], instances: [], head: 0 };
      this.queues.push(queue);
    }
    queue.ends.push(at + durationMs);
    queue.instances.push(instance);
  }

  /** The instance of the earliest request that ends at or before `at`, removed; undefined when none does. */
  pop(at: number): Instance | undefined {
    let earliest: Queue | undefined;
    let earliestEnd = at;
    for (let index = 0; index < this.queues.length; index++) {
      const queue = this.queues[index] as Queue;
      if (queue.head === queue.ends.length) continue;
      const end = queue.ends[queue.head] as number;
      if (end <= earliestEnd) {
        earliest = queue;
        earliestEnd = end;
      }
    }
    if (earliest === undefined) return undefined;
    this.poppedAt = earliestEnd;
    const instance = earliest.instances[earliest.head] as Instance;
    earliest.head += 1;
    if (earliest.head >= 4096 && earliest.head * 2 >= earliest.ends.length) {
      earliest.ends.splice(0, earliest.head);
      earliest.instances.splice(0, earliest.head);
      earliest.head = 0;
    }
    return instance;
  }
}

interface Queue {
  readonly durationMs: number;
  readonly ends: number[];
  readonly instances: Instance[];
  head: number;
}
