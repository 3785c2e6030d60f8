/**
 * What `npm run capacity` reports: every deployment setup worth comparing, simulated at the
 * workload, with the number of daily users at which each reaches half of the account's
 * AssumeRole quota.
 */
import { type SimulationResult, type Setup, simulate } from './simulate';
import { DEFAULT_WORKLOAD, type Workload } from './workload';

/** STS AssumeRole calls allowed per second per account (RAM quota page). */
export const ASSUME_ROLE_QUOTA = 100;

/** The level to stay under: half the quota, so that bursts and other callers of the account fit. */
export const TARGET_PER_SECOND = ASSUME_ROLE_QUOTA / 2;

/** The setups of the table, in the order printed. */
export const SETUPS: readonly Setup[] = [
  { profile: 'event', client: 'v1', mode: 'scoped' },
  { profile: 'web', client: 'v1', mode: 'scoped' },
  { profile: 'event', client: 'v4', mode: 'scoped' },
  { profile: 'web', client: 'v4', mode: 'scoped' },
  { profile: 'event', client: 'vend-token', mode: 'scoped' },
  { profile: 'web', client: 'vend-token', mode: 'scoped' },
  // Function mode asks no cache for V1 or V4 alike: V4 has the more calls (its sessions).
  { profile: 'event', client: 'v4', mode: 'function' },
  { profile: 'web', client: 'v4', mode: 'function' },
  // The longest credentials STS gives, with the caches of today and with one cache for the fleet.
  { profile: 'web', client: 'v4', mode: 'scoped', durationSeconds: 43_200 },
  { profile: 'event', client: 'v4', mode: 'scoped', durationSeconds: 43_200, cache: 'shared' },
  { profile: 'web', client: 'v4', mode: 'scoped', durationSeconds: 43_200, cache: 'shared' },
  { profile: 'web', client: 'v1', mode: 'scoped', durationSeconds: 43_200, cache: 'shared' },
];

/** One row of the table. */
export interface CapacityRow {
  readonly result: SimulationResult;
  /** Daily users at which the busiest hour reaches {@link TARGET_PER_SECOND}; Infinity when never. */
  readonly usersAtTarget?: number;
}

/** Options of {@link capacityTable}. */
export interface CapacityOptions {
  readonly workload?: Workload;
  readonly sampleUsers?: number;
  /** Also search the user count at which each setup reaches the target. */
  readonly thresholds?: boolean;
  readonly setups?: readonly Setup[];
  /** Called after each row, for progress. */
  readonly onRow?: (row: CapacityRow) => void;
}

/** Simulates every setup at the workload (and, asked, searches its threshold). */
export async function capacityTable(options: CapacityOptions = {}): Promise<CapacityRow[]> {
  const workload = options.workload ?? DEFAULT_WORKLOAD;
  const rows: CapacityRow[] = [];
  for (const setup of options.setups ?? SETUPS) {
    const result = await simulate(setup, { workload, ...(options.sampleUsers === undefined ? {} : { sampleUsers: options.sampleUsers }) });
    const row: CapacityRow = options.thresholds === true ? { result, usersAtTarget: await usersAtTarget(setup, result, options) } : { result };
    options.onRow?.(row);
    rows.push(row);
  }
  return rows;
}

/**
 * The daily users at which `setup`'s busiest hour reaches {@link TARGET_PER_SECOND} AssumeRole/s,
 * to within 5%: an interpolation on log users against log calls, kept inside the bracket known so
 * far (calls grow with users, faster than in proportion where more users also mean more instances).
 */
export async function usersAtTarget(setup: Setup, known: SimulationResult, options: CapacityOptions = {}): Promise<number> {
  if (known.assumeRoleCalls === 0) return Number.POSITIVE_INFINITY;
  const workload = options.workload ?? DEFAULT_WORKLOAD;
  const at = async (users: number): Promise<number> => {
    const result = await simulate(setup, { workload: { ...workload, users }, ...(options.sampleUsers === undefined ? {} : { sampleUsers: options.sampleUsers }) });
    return result.peakHourPerSecond;
  };
  let low = { users: 0, rate: 0 };
  let high = { users: Number.POSITIVE_INFINITY, rate: Number.POSITIVE_INFINITY };
  let point = { users: known.users, rate: known.peakHourPerSecond };
  for (let step = 0; step < 8; step++) {
    if (Math.abs(point.rate - TARGET_PER_SECOND) <= 0.05 * TARGET_PER_SECOND) return point.users;
    if (point.rate < TARGET_PER_SECOND) low = point;
    else high = point;
    // In proportion from the nearest point, then kept strictly inside the bracket.
    let next = point.rate > 0 ? point.users * (TARGET_PER_SECOND / point.rate) : point.users * 10;
    if (low.users > 0 && high.users < Number.POSITIVE_INFINITY) {
      const slope = Math.log(high.rate / Math.max(low.rate, 1e-9)) / Math.log(high.users / low.users);
      next = low.users * Math.exp(Math.log(TARGET_PER_SECOND / Math.max(low.rate, 1e-9)) / slope);
      const margin = (high.users - low.users) * 0.05;
      next = Math.min(high.users - margin, Math.max(low.users + margin, next));
    }
    next = Math.max(100, Math.round(next));
    point = { users: next, rate: await at(next) };
  }
  return point.users;
}

const LABELS: Record<Setup['client'], string> = {
  v1: 'V1 self-signing (classic SDK callback)',
  v4: 'V4 self-signing (session ticket)',
  'vend-token': 'vend-token alone',
};

/** A markdown table of the rows, with the workload they were simulated at. */
export function formatTable(rows: readonly CapacityRow[]): string {
  const thresholds = rows.some((row) => row.usersAtTarget !== undefined);
  const header = ['Profile', 'Client', 'Credentials', 'TVM_DURATION_SECONDS', 'Cache', 'Peak AssumeRole/s (busiest hour)', 'Of the 100/s quota', 'AssumeRole a day', 'Instances at most'];
  if (thresholds) header.push(`Daily users at ${TARGET_PER_SECOND}/s`);
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const { result, usersAtTarget } of rows) {
    const { setup } = result;
    const cells = [
      setup.profile,
      setup.mode === 'function' ? 'V1 or V4 self-signing' : LABELS[setup.client],
      setup.client === 'vend-token' ? 'scoped' : setup.mode,
      String(setup.durationSeconds ?? 3600),
      setup.cache === 'shared' ? 'shared' : 'per instance',
      round(result.peakHourPerSecond),
      `${Math.round((result.peakHourPerSecond / ASSUME_ROLE_QUOTA) * 100)}%`,
      result.assumeRoleCalls.toLocaleString('en-US'),
      String(result.peakInstances),
    ];
    if (thresholds) cells.push(usersAtTarget === undefined ? '' : usersAtTarget === Number.POSITIVE_INFINITY ? 'never' : `≈ ${twoFigures(usersAtTarget).toLocaleString('en-US')}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function round(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

/** A user count to two significant figures: what the model can say. */
function twoFigures(value: number): number {
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1);
  return Math.round(value / magnitude) * magnitude;
}
