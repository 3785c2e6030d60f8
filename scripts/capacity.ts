/**
 * `npm run capacity`: how many AssumeRole calls a second each deployment setup costs at peak, from a
 * discrete-event simulation of a day (scripts/capacity/): users in sessions of signed requests, FC
 * routing them to instances, each instance running the product's real credential provider on a
 * simulated clock. Prints a markdown table; README "Capacity" explains it.
 *
 *   npm run capacity -- [--users <n>] [--sample <n>] [--quick] [--json <file>]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printUsageIfAsked } from './cli';
import { type CapacityRow, TARGET_PER_SECOND, capacityTable, formatTable } from './capacity/report';
import { DEFAULT_WORKLOAD } from './capacity/workload';

const USAGE = `usage: npm run capacity -- [options]
  --users <n>    daily active users (default 1000000); each makes ${DEFAULT_WORKLOAD.requestsPerUser} signed requests in ${DEFAULT_WORKLOAD.sessionsPerUser} sessions,
                 the busiest hour carrying ${DEFAULT_WORKLOAD.peakFactor}x the average hour
  --sample <n>   users simulated request by request through the credential providers; the others
                 are load (default 20000)
  --seed <n>     the pseudo-random seed (default 1): the same seed, the same day
  --quick        skip the search for the user count at which each setup reaches ${TARGET_PER_SECOND} AssumeRole/s
  --json <file>  also write the figures as JSON`;

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`capacity: ${flag} must be a positive integer: ${text}`);
  return value;
}

async function main(argv: readonly string[]): Promise<void> {
  if (printUsageIfAsked(argv, USAGE)) return;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string', default: String(DEFAULT_WORKLOAD.users) },
      sample: { type: 'string', default: '20000' },
      seed: { type: 'string', default: String(DEFAULT_WORKLOAD.seed) },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const workload = { ...DEFAULT_WORKLOAD, users: positiveInteger(values.users, '--users'), seed: positiveInteger(values.seed, '--seed') };
  const sampleUsers = positiveInteger(values.sample, '--sample');
  const started = performance.now();
  process.stderr.write(`Simulating a day of ${workload.users.toLocaleString('en-US')} users (${Math.min(sampleUsers, workload.users).toLocaleString('en-US')} of them request by request)…\n`);
  const rows: CapacityRow[] = await capacityTable({
    workload,
    sampleUsers,
    thresholds: !values.quick,
    onRow: ({ result }) => process.stderr.write(`  ${result.setup.profile} ${result.setup.client} ${result.setup.mode}${result.setup.durationSeconds ? ` ${result.setup.durationSeconds} s` : ''}${result.setup.cache === 'shared' ? ' shared' : ''}: ${result.peakHourPerSecond.toFixed(1)} AssumeRole/s\n`),
  });
  process.stdout.write(`${formatTable(rows)}\n`);
  process.stderr.write(`Done in ${((performance.now() - started) / 1000).toFixed(0)} s.\n`);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ workload, sampleUsers, rows }, (_key, value: unknown) => (value === Number.POSITIVE_INFINITY ? 'never' : value), 2)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
});
