/**
 * A clock for the STS client's retries ({@link RetryTimers}) that moves only when the test moves
 * it, and records what the client asked of it: each pause between attempts (`sleep`) and each
 * attempt's time limit (`timeout`), with the clock reading when it was asked. A test of timeouts,
 * backoff or the deadline then judges the schedule the client kept, exactly, instead of timing a
 * real run on a busy machine.
 *
 * @example
 * ```ts
 * const timers = new ManualTimers();
 * const client = new StsClient({ endpoint, timers, attemptTimeoutMs: 300 });
 * sts.setFault({ kind: 'hang' });
 * const error = await drive(timers, client.assumeRole(caller, input).catch((e) => e), { allAtSts: () => ..., held: () => true });
 * expect(timers.schedule).toEqual([{ kind: 'timeout', at: 0, ms: 300 }, { kind: 'sleep', at: 300, ms: 12 }, ...]);
 * ```
 */
import type { RetryTimers } from '../../shared/sts/sts-client';

/** One thing the client asked of the clock. */
export interface Scheduled {
  readonly kind: 'sleep' | 'timeout';
  /** The clock when it was asked, ms. */
  readonly at: number;
  readonly ms: number;
}

interface Pending extends Scheduled {
  readonly due: number;
  readonly fire: () => void;
}

export class ManualTimers implements RetryTimers {
  private clock = 0;
  private readonly pending: Pending[] = [];
  /** Every sleep and timeout asked for, in order. */
  readonly schedule: Scheduled[] = [];

  now(): number {
    return this.clock;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.add('sleep', ms, () => resolve()));
  }

  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.add('timeout', ms, () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
    return controller.signal;
  }

  /** How many sleeps or timeouts (or both) have not fired yet. */
  waiting(kind?: Scheduled['kind']): number {
    return this.pending.filter((entry) => kind === undefined || entry.kind === kind).length;
  }

  /**
   * Moves the clock to the earliest pending sleep or timeout (of `kind`, when given) and fires
   * everything due by then, earliest first.
   *
   * @throws Error when nothing of that kind is pending.
   */
  advance(kind?: Scheduled['kind']): void {
    const next = this.pending.filter((entry) => kind === undefined || entry.kind === kind).sort((a, b) => a.due - b.due)[0];
    if (next === undefined) throw new Error(`no ${kind ?? 'timer'} is pending`);
    this.clock = Math.max(this.clock, next.due);
    const due = this.pending.filter((entry) => entry.due <= this.clock).sort((a, b) => a.due - b.due);
    for (const entry of due) {
      this.pending.splice(this.pending.indexOf(entry), 1);
      entry.fire();
    }
  }

  private add(kind: Scheduled['kind'], ms: number, fire: () => void): void {
    const entry = { kind, at: this.clock, ms };
    this.schedule.push(entry);
    this.pending.push({ ...entry, due: this.clock + ms, fire });
  }
}

/**
 * Resolves once `condition` holds, checking after each turn of the event loop (the requests under
 * test travel over loopback sockets). Gives up with an error naming `what` after `limitMs` of real
 * time: a safety net for a test that would otherwise hang, not a measurement.
 */
export async function until(condition: () => boolean, what = 'the condition', limitMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** How {@link drive} moves the clock. */
export interface DriveOptions {
  /** True once STS has seen every attempt the client started (default: always). */
  readonly allAtSts?: () => boolean;
  /** Whether STS holds attempt `n` (from 0) without answering, so its time may run out (default: none). */
  readonly held?: (attempt: number) => boolean;
  /** Called just before each pause passes. */
  readonly onPause?: () => void;
}

/**
 * Waits for `call` (an STS client call, or a request that makes one, on `timers`) while moving the
 * clock as time would pass for it: a pause passes once the client takes it, and an attempt's time
 * runs out once it has reached STS and STS holds it; never while an answer is on its way.
 */
export async function drive<T>(timers: ManualTimers, call: Promise<T>, options: DriveOptions = {}): Promise<T> {
  const { allAtSts = () => true, held = () => false, onPause } = options;
  let done = false;
  const settled = call.then(
    () => (done = true),
    () => (done = true),
  );
  const started = () => timers.schedule.filter((entry) => entry.kind === 'timeout').length;
  const pausing = () => timers.waiting('sleep') > 0 && allAtSts();
  const timingOut = () => held(started() - 1) && timers.waiting('timeout') > 0 && allAtSts();
  while (!done) {
    await until(() => done || pausing() || timingOut(), 'a pause, an attempt STS holds, or the answer');
    if (done) break;
    if (pausing()) {
      onPause?.();
      timers.advance('sleep');
    } else {
      timers.advance('timeout');
    }
  }
  await settled;
  return call;
}
