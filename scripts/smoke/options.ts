/** `npm run smoke` command line: flags first, then `TVM_SMOKE_*` environment variables. */
import { parseArgs } from 'node:util';
import { isHttpUrl } from './oss-endpoint';

/** What the smoke test needs to run, after flags and environment are merged and checked. */
export interface SmokeOptions {
  /** The vend-token HTTP trigger URL. */
  readonly vendTokenUrl: string;
  /** The sign-request HTTP trigger URL. */
  readonly signRequestUrl: string;
  /** The bearer token (a JWT from the app's identity provider). Secret: never printed. */
  readonly token: string;
  /** The scope to ask both functions for; absent: the functions' default scope. */
  readonly scope?: string;
  /** An OSS endpoint URL that replaces the `Endpoint` vend-token returns (a sandbox OSS). */
  readonly ossEndpoint?: string;
}

/** What the command line asks for: a run, the usage text, or a usage error. */
export type SmokeCommand =
  | { readonly kind: 'run'; readonly options: SmokeOptions }
  | { readonly kind: 'help'; readonly usage: string }
  | { readonly kind: 'usage-error'; readonly message: string };

/** Exit codes of `npm run smoke`. */
export const SMOKE_EXIT_CODES = { passed: 0, stepFailed: 1, usageError: 2 } as const;

interface InputDefinition {
  /** The flag, or `undefined` for an input read from the environment only. */
  readonly flag: string | undefined;
  readonly variable: string;
  readonly required: boolean;
  readonly isUrl: boolean;
}

const INPUTS = {
  vendTokenUrl: { flag: 'vend-token-url', variable: 'TVM_SMOKE_VEND_TOKEN_URL', required: true, isUrl: true },
  signRequestUrl: { flag: 'sign-request-url', variable: 'TVM_SMOKE_SIGN_REQUEST_URL', required: true, isUrl: true },
  // Environment only: npm prints the command line it runs, arguments included, and every user of
  // the machine sees a process's arguments; a bearer token belongs in neither.
  token: { flag: undefined, variable: 'TVM_SMOKE_TOKEN', required: true, isUrl: false },
  scope: { flag: 'scope', variable: 'TVM_SMOKE_SCOPE', required: false, isUrl: false },
  ossEndpoint: { flag: 'oss-endpoint', variable: 'TVM_SMOKE_OSS_ENDPOINT', required: false, isUrl: true },
} as const satisfies Record<keyof SmokeOptions, InputDefinition>;

/** The text `--help` prints. */
export const SMOKE_USAGE = `Usage: TVM_SMOKE_TOKEN=<jwt> npm run smoke -- --vend-token-url <url> --sign-request-url <url> [--scope <name>] [--oss-endpoint <url>]

Checks a deployed oss-tvm end to end, as an app uses it: fetches credentials from vend-token, puts,
gets and deletes an object under the vended prefix with ali-oss (V4), checks that a put outside the
prefix is denied, then has sign-request sign a PUT in V4 (its canonical request) and in V1, and sends
both to OSS: V4 must succeed; V1 succeeds on a bucket created before 2025-09-01 and is reported as
refused (EC 0002-00000080) on a newer one. One line per step; stops at the first failure. Secrets,
tokens and signatures are never printed.

  TVM_SMOKE_TOKEN           bearer token for both functions: environment only
  --vend-token-url <url>    vend-token HTTP trigger URL            (env TVM_SMOKE_VEND_TOKEN_URL)
  --sign-request-url <url>  sign-request HTTP trigger URL          (env TVM_SMOKE_SIGN_REQUEST_URL)
  --scope <name>            scope to ask both functions for        (env TVM_SMOKE_SCOPE)
  --oss-endpoint <url>      OSS endpoint instead of the vended one (env TVM_SMOKE_OSS_ENDPOINT)
  --help                    this text

Flags win over the environment; empty values count as unset. The token is read from
TVM_SMOKE_TOKEN only, never from the command line, which npm prints and the process list shows.
Without --scope, the functions use their default scope. When the scope grants no delete (the
default scope grants read and write), the deletes are skipped and the objects stay under fixed keys,
which the next run overwrites. An OSS endpoint on an IP address or localhost is addressed
path-style (<endpoint>/<bucket>/<key>), any other virtual-host style (<bucket>.<endpoint host>/<key>).
Exit codes: 0 every step passed, 1 a step failed, 2 usage error.`;

/**
 * Reads the smoke test's inputs from command-line arguments and the environment; a flag wins over
 * its variable, and an empty value counts as unset. Never echoes a value in an error message.
 *
 * @param argv - the arguments after the script name (`process.argv.slice(2)`).
 * @param environment - where the `TVM_SMOKE_*` variables are read (`process.env`).
 * The token is never taken from the command line: `--token` is refused with a message pointing to
 * `TVM_SMOKE_TOKEN`.
 *
 * @example
 * ```ts
 * parseSmokeCommand(['--vend-token-url', 'https://…', '--sign-request-url', 'https://…'], { TVM_SMOKE_TOKEN: jwt });
 * // → { kind: 'run', options: { vendTokenUrl: 'https://…', signRequestUrl: 'https://…', token: jwt } }
 * ```
 */
export function parseSmokeCommand(argv: readonly string[], environment: Readonly<Record<string, string | undefined>>): SmokeCommand {
  if (argv.some((argument) => argument === '--token' || argument.startsWith('--token='))) {
    return usageError('the token is not taken from the command line, which npm prints and the process list shows: set TVM_SMOKE_TOKEN instead (TVM_SMOKE_TOKEN="$JWT" npm run smoke -- …)');
  }
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: { ...Object.fromEntries(Object.values(INPUTS).flatMap(({ flag }) => (flag === undefined ? [] : [[flag, { type: 'string' as const }]]))), help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usageError(describeArgumentError(error));
  }
  if (flags['help'] === true) return { kind: 'help', usage: SMOKE_USAGE };

  const options: Partial<Record<keyof SmokeOptions, string>> = {};
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const [name, input] of Object.entries(INPUTS) as [keyof SmokeOptions, InputDefinition][]) {
    const flagValue = input.flag === undefined ? undefined : flags[input.flag];
    const value = nonEmpty(typeof flagValue === 'string' ? flagValue : undefined) ?? nonEmpty(environment[input.variable]);
    const named = input.flag === undefined ? input.variable : `--${input.flag} (or ${input.variable})`;
    if (value === undefined) {
      if (input.required) missing.push(named);
    } else if (input.isUrl && !isHttpUrl(value)) {
      invalid.push(`${named} must be an http:// or https:// URL`);
    } else {
      options[name] = value;
    }
  }
  const problems = [...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []), ...invalid];
  if (problems.length > 0) return usageError(problems.join('; '));
  return { kind: 'run', options: options as SmokeOptions };
}

function usageError(problem: string): SmokeCommand {
  return { kind: 'usage-error', message: `smoke: ${problem}. Run with --help for usage.` };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function describeArgumentError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  const option = /'(-{1,2}[^'\s=<]*)/.exec(message)?.[1] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `${option} takes no value`;
      return `${option} needs a value (write ${option}=<value> for one starting with "-")`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'unexpected argument: this command takes only options';
    default:
      return 'unreadable arguments';
  }
}

/**
 * A function's URL with the scope to ask for as the `scope` query parameter (both functions read it
 * there), or unchanged without one.
 */
export function functionUrl(triggerUrl: string, scope: string | undefined): string {
  if (scope === undefined) return triggerUrl;
  const url = new URL(triggerUrl);
  url.searchParams.set('scope', scope);
  return url.toString();
}
