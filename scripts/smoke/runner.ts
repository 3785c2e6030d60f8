/** The smoke test's step runner: one line per step, stop at the first failure, never print a secret. */

/** What a step can tell the runner while it runs. */
export interface StepContext {
  /** Marks a value as secret: from now on the runner prints `[redacted]` wherever it would appear. */
  markSecret(value: string): void;
}

/** One step: a name and an async function that resolves with a one-line detail, or throws. */
export interface SmokeStep {
  readonly name: string;
  run(context: StepContext): Promise<string>;
}

/** A failure whose message is the whole reason, printed as it is (after redaction). */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
}

/** Options of {@link runSmokeSteps}. */
export interface RunnerOptions {
  /** Receives each printed line, without a line feed. */
  readonly writeLine: (line: string) => void;
  /** Values never to print, known before the first step (such as the bearer token). */
  readonly secrets?: readonly string[];
}

/** The outcome of a run: whether every step passed, and which one failed. */
export type SmokeRunResult = { readonly passed: true } | { readonly passed: false; readonly failedStep: string };

/** What replaces a secret in a printed line. */
export const REDACTED = '[redacted]';

/**
 * Runs `steps` in order and prints `✓ <step>: <detail>` for each one that resolves, or
 * `✗ <step>: <reason>` for the first one that throws, then stops. Each line is a single line and
 * holds none of the values marked secret (given up front or marked by a step), not even inside an
 * error message.
 *
 * @example
 * ```ts
 * const result = await runSmokeSteps([{ name: 'ping', run: async () => 'pong' }], { writeLine: console.log });
 * // prints "✓ ping: pong"; result.passed === true
 * ```
 */
export async function runSmokeSteps(steps: readonly SmokeStep[], options: RunnerOptions): Promise<SmokeRunResult> {
  const secrets = new Set<string>();
  const markSecret = (value: string): void => {
    if (value !== '') secrets.add(value);
  };
  options.secrets?.forEach(markSecret);
  const print = (mark: '✓' | '✗', name: string, text: string): void => {
    options.writeLine(redact(`${mark} ${name}: ${text}`, secrets).replace(/\s*[\r\n]+\s*/g, ' '));
  };
  for (const step of steps) {
    try {
      print('✓', step.name, await step.run({ markSecret }));
    } catch (error) {
      print('✗', step.name, failureReason(error));
      return { passed: false, failedStep: step.name };
    }
  }
  return { passed: true };
}

function failureReason(error: unknown): string {
  if (error instanceof StepFailure) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function redact(line: string, secrets: ReadonlySet<string>): string {
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  return longestFirst.reduce((text, secret) => text.replaceAll(secret, REDACTED), line);
}
