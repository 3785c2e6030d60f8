/** The faults a real, overloaded or broken STS shows, and how often the emulator injects them. */
import { isIntegerIn } from './parameters';

/** A fault the emulator answers AssumeRole requests with instead of (or before) a normal answer. */
export type StsFault =
  /** HTTP 400 `Throttling.User`, as STS answers beyond the account's QPS limit. */
  | { kind: 'throttle' }
  /** HTTP `status` (default 500) `InternalError` (`ServiceUnavailable` for 503). */
  | { kind: 'server-error'; status?: number }
  /** The normal answer, after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** Accepts the request and never answers, until the emulator closes. */
  | { kind: 'hang' }
  /** HTTP 200 with content type `application/json` and a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** HTTP 200 with content type `text/html` and an HTML body, as a misrouted proxy answers. */
  | { kind: 'wrong-content-type' }
  /** Destroys the connection without answering. */
  | { kind: 'reset' };

/** How often a fault applies. */
export interface FaultOptions {
  /** Chance, 0..1, that an AssumeRole request gets the fault. Default 1. */
  probability?: number;
  /**
   * The fault is considered for the next `count` AssumeRole requests only (each of them drawn with
   * `probability`), then cleared. Default: until changed.
   */
  count?: number;
  /**
   * The draw for one AssumeRole request, in [0, 1): the fault applies when it is below
   * `probability`. Default `Math.random()`. A test passes a seeded draw per RoleSessionName, so
   * which calls fail does not depend on the order concurrent requests arrive in.
   */
  random?: (call: FaultCall) => number;
}

/** What a fault draw knows of the AssumeRole request it is for. */
export interface FaultCall {
  readonly roleSessionName: string;
}

interface FaultState {
  fault: StsFault;
  probability: number;
  random: (call: FaultCall) => number;
  remaining?: number;
}

/** The fault currently set, drawn once per AssumeRole request. */
export class FaultSchedule {
  private state: FaultState | undefined;

  /**
   * Sets the fault; `null` clears it.
   *
   * @throws RangeError when `probability` is not in 0..1, `count` is not a non-negative integer or a
   * server error's `status` is not in 500..599.
   */
  set(fault: StsFault | null, options: FaultOptions = {}): void {
    if (fault?.kind === 'server-error' && !isIntegerIn(fault.status ?? 500, 500, 599)) {
      throw new RangeError(`status must be an integer in 500..599: ${fault.status}`);
    }
    const probability = options.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError(`probability must be in 0..1: ${probability}`);
    }
    if (options.count !== undefined && !isIntegerIn(options.count, 0, Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`count must be a non-negative integer: ${options.count}`);
    }
    this.state =
      fault === null || options.count === 0
        ? undefined
        : { fault, probability, random: options.random ?? Math.random, ...(options.count === undefined ? {} : { remaining: options.count }) };
  }

  /** The fault for this request, if any; counts the request against `count`. */
  draw(call: FaultCall): StsFault | undefined {
    const state = this.state;
    if (!state) return undefined;
    if (state.remaining !== undefined) {
      state.remaining -= 1;
      if (state.remaining <= 0) this.state = undefined;
    }
    return state.random(call) < state.probability ? state.fault : undefined;
  }
}
