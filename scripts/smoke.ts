/**
 * `npm run smoke`: checks a deployed oss-tvm end to end, as an app uses it. See `--help`, and
 * scripts/smoke/ for the pieces.
 */
import { SMOKE_EXIT_CODES, parseSmokeCommand } from './smoke/options';

const command = parseSmokeCommand(process.argv.slice(2), process.env);
if (command.kind === 'help') {
  console.log(command.usage);
} else if (command.kind === 'usage-error') {
  console.error(command.message);
  process.exitCode = SMOKE_EXIT_CODES.usageError;
} else {
  // The steps' modules load only now: usage and usage errors answer at once.
  const [{ runSmokeSteps }, { smokeSteps }] = await Promise.all([import('./smoke/runner'), import('./smoke/steps')]);
  const result = await runSmokeSteps(smokeSteps(command.options), { writeLine: (line) => console.log(line), secrets: [command.options.token] });
  process.exitCode = result.passed ? SMOKE_EXIT_CODES.passed : SMOKE_EXIT_CODES.stepFailed;
}
