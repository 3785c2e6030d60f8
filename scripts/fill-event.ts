/**
 * Fills the placeholders of an event file in events/ (FC 3.0 HTTP trigger events, v1) and prints
 * the event, ready for `npx s <function> local invoke -f`:
 *
 * ```sh
 * TVM_EVENT_TOKEN="$JWT" npm run -s event events/vend-token.get.json > event.json
 * npx s vend-token local invoke -f event.json
 * ```
 *
 * A bearer token, the bucket and the current time cannot live in a committed file, so the files hold
 * placeholders inside their JSON strings:
 *
 * | Placeholder | Becomes |
 * | --- | --- |
 * | `${TOKEN}` | the bearer token, from `TVM_EVENT_TOKEN` (required when the file uses it) |
 * | `${SUB}` | the user the token is for, from `TVM_EVENT_SUB` (default `alice`): object keys under `users/${SUB}/` |
 * | `${BUCKET}` | the bucket the function is configured with, from `TVM_BUCKET` (required when the file uses it) |
 * | `${DATE}` | now as an RFC 1123 GMT date, `Mon, 23 Nov 2026 10:00:00 GMT` (a string-to-sign's Date line) |
 * | `${EXPIRES}` | now + 600 s in epoch seconds (a presigned URL's Expires) |
 * | `${TIME}` | now as `yyyy-MM-ddTHH:mm:ssZ` (`requestContext.time`) |
 * | `${TIME_EPOCH}` | now in epoch milliseconds (`requestContext.timeEpoch`) |
 * | `${BASE64:<text>}` | `<text>` (its own placeholders filled first, its braces balanced) as the base64 of its UTF-8: a body with `isBase64Encoded: true` |
 *
 * The file is parsed as JSON first and printed with `JSON.stringify`, so a filled value never needs
 * escaping. Any other `${…}` is an error (exit code 2), as is a file that needs a token or a bucket
 * when `TVM_EVENT_TOKEN` or `TVM_BUCKET` is unset. sign-request refuses a Date more than `TVM_SIGN_MAX_SKEW_SECONDS`
 * (default 300) from its clock: fill the event just before invoking it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentSchema } from '../shared/config/schemas';
import { isoSeconds } from '../shared/time';
import { printUsageIfAsked } from './cli';

/** What the placeholders are filled with. */
export interface FillValues {
  /** The bearer token for `${TOKEN}`; a file that uses `${TOKEN}` cannot be filled without it. */
  readonly token?: string;
  /** The user for `${SUB}`. Default `alice`. */
  readonly sub?: string;
  /** The bucket for `${BUCKET}`; a file that uses `${BUCKET}` cannot be filled without it. */
  readonly bucket?: string;
  /** The clock, in ms since the epoch, for `${DATE}`, `${EXPIRES}`, `${TIME}`, `${TIME_EPOCH}`. Default now. */
  readonly now?: number;
}

/** A file that cannot be filled: an unknown or malformed placeholder, a missing value, not JSON. */
export class FillEventError extends Error {
  override readonly name = 'FillEventError';
}

/** How far ahead `${EXPIRES}` lies, in seconds. */
export const EXPIRES_IN_SECONDS = 600;

/** The user `${SUB}` stands for when `TVM_EVENT_SUB` is unset. */
export const DEFAULT_SUB = 'alice';

/** The names of the placeholders; `BASE64` takes an argument (`${BASE64:<text>}`), the others none. */
export const PLACEHOLDERS = ['TOKEN', 'SUB', 'BUCKET', 'DATE', 'EXPIRES', 'TIME', 'TIME_EPOCH', 'BASE64'] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];

// The identities the functions accept (README, "Scopes and policies"), so `${SUB}` is one.
const SAFE_SUB = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._@|-]{0,63}$/;
// A bearer token (RFC 6750 b64token): a JWT's base64url parts and dots fit.
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const BUCKET = new RegExp(environmentSchema.properties.TVM_BUCKET.pattern);

/**
 * Fills every placeholder of an event file's text.
 *
 * @param source the file's text: JSON with placeholders inside its strings.
 * @returns the filled event, as JSON text ending in a line feed.
 * @throws {@link FillEventError} for text that is not JSON, an unknown or unterminated
 *   placeholder, `${TOKEN}` without `values.token`, or a token or user that is not one.
 *
 * @example
 * ```ts
 * fillEvent('{"body": "PUT\\n\\n\\n${DATE}\\n/photos/users/${SUB}/a.jpg"}', { now: Date.UTC(2026, 10, 23, 10) });
 * // '{\n  "body": "PUT\\n\\n\\nMon, 23 Nov 2026 10:00:00 GMT\\n/photos/users/alice/a.jpg"\n}\n'
 * ```
 */
export function fillEvent(source: string, values: FillValues = {}): string {
  let event: unknown;
  try {
    event = JSON.parse(source);
  } catch (error) {
    throw new FillEventError(`The event file is not JSON: ${(error as Error).message}`);
  }
  const context = fillContext(values);
  return `${JSON.stringify(fillValue(event, context), null, 2)}\n`;
}

/** {@link FillValues} from the environment: `TVM_EVENT_TOKEN`, `TVM_EVENT_SUB`, `TVM_BUCKET` (empty counts as unset). */
export function valuesFromEnvironment(environment: Readonly<Record<string, string | undefined>>, now: number = Date.now()): FillValues {
  const token = environment['TVM_EVENT_TOKEN']?.trim() || undefined;
  const sub = environment['TVM_EVENT_SUB']?.trim() || undefined;
  const bucket = environment['TVM_BUCKET']?.trim() || undefined;
  return { now, ...(token === undefined ? {} : { token }), ...(sub === undefined ? {} : { sub }), ...(bucket === undefined ? {} : { bucket }) };
}

interface FillContext {
  readonly token: string | undefined;
  readonly bucket: string | undefined;
  readonly simple: Readonly<Record<Exclude<PlaceholderName, 'TOKEN' | 'BUCKET' | 'BASE64'>, string>>;
}

function fillContext(values: FillValues): FillContext {
  const now = values.now ?? Date.now();
  if (!Number.isFinite(now)) throw new FillEventError('The clock is not a number of milliseconds.');
  const sub = values.sub ?? DEFAULT_SUB;
  if (!SAFE_SUB.test(sub)) {
    throw new FillEventError(`TVM_EVENT_SUB ${JSON.stringify(sub)} is not an identity the functions accept: 1 to 64 characters of A-Z a-z 0-9 . _ @ | -, starting with a letter or digit, without "..".`);
  }
  if (values.token !== undefined && !BEARER_TOKEN.test(values.token)) {
    throw new FillEventError('TVM_EVENT_TOKEN is not a bearer token: give the bare token (a JWT), without "Bearer " or spaces.');
  }
  if (values.bucket !== undefined && !BUCKET.test(values.bucket)) {
    throw new FillEventError(`TVM_BUCKET ${JSON.stringify(values.bucket)} is not a bucket name: ${environmentSchema.properties.TVM_BUCKET.description}.`);
  }
  const date = new Date(now);
  return {
    token: values.token,
    bucket: values.bucket,
    simple: {
      SUB: sub,
      DATE: date.toUTCString(),
      EXPIRES: String(Math.floor(now / 1000) + EXPIRES_IN_SECONDS),
      TIME: isoSeconds(date),
      TIME_EPOCH: String(Math.floor(now)),
    },
  };
}

function fillValue(value: unknown, context: FillContext): unknown {
  if (typeof value === 'string') return fillString(value, context);
  if (Array.isArray(value)) return value.map((item) => fillValue(item, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [fillString(name, context), fillValue(item, context)]));
  }
  return value;
}

/** Expands the placeholders of one (JSON-decoded) string; the argument of `${BASE64:…}` first. */
function fillString(text: string, context: FillContext): string {
  let result = '';
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf('${', index);
    if (start === -1) break;
    result += text.slice(index, start);
    const end = closingBrace(text, start);
    const inner = text.slice(start + 2, end);
    const colon = inner.indexOf(':');
    const name = colon === -1 ? inner : inner.slice(0, colon);
    result += expand(name, colon === -1 ? undefined : inner.slice(colon + 1), context);
    index = end + 1;
  }
  return result + text.slice(index);
}

/** The index of the `}` that closes the placeholder opening at `start`; braces inside it must balance. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let index = start + 2; index < text.length; index += 1) {
    if (text[index] === '{') depth += 1;
    else if (text[index] === '}') {
      if (depth === 0) return index;
      depth -= 1;
    }
  }
  throw new FillEventError(`The placeholder ${JSON.stringify(text.slice(start, start + 24))}… has no closing "}".`);
}

function expand(name: string, argument: string | undefined, context: FillContext): string {
  if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
    throw new FillEventError(`Unknown placeholder \${${name}}: the placeholders are ${PLACEHOLDERS.map((known) => (known === 'BASE64' ? '${BASE64:<text>}' : `\${${known}}`)).join(', ')}.`);
  }
  if (name === 'BASE64') {
    if (argument === undefined) throw new FillEventError('${BASE64} needs the text to encode: ${BASE64:<text>}.');
    return Buffer.from(fillString(argument, context), 'utf8').toString('base64');
  }
  if (argument !== undefined) throw new FillEventError(`The placeholder \${${name}} takes no argument.`);
  if (name === 'TOKEN') {
    if (context.token === undefined) throw new FillEventError('This event needs a bearer token for ${TOKEN}: set TVM_EVENT_TOKEN to a token from your identity provider.');
    return context.token;
  }
  if (name === 'BUCKET') {
    if (context.bucket === undefined) throw new FillEventError('This event needs the bucket for ${BUCKET}: set TVM_BUCKET to the bucket the function is configured with.');
    return context.bucket;
  }
  return context.simple[name as keyof FillContext['simple']];
}

export const FILL_EVENT_USAGE = `Usage: TVM_EVENT_TOKEN=<token> [TVM_EVENT_SUB=<user>] [TVM_BUCKET=<bucket>] npm run -s event <events/file.json> > event.json

Fills the placeholders of an FC 3.0 HTTP trigger event file (events/) and prints the event, ready
for \`npx s <function> local invoke -f event.json\` (or run it without Docker: npm run invoke).

  TVM_EVENT_TOKEN  the bearer token for \${TOKEN} (needed by files that send one)
  TVM_EVENT_SUB    the user for \${SUB}, the token's user (default ${DEFAULT_SUB})
  TVM_BUCKET       the bucket for \${BUCKET}, the one the function is configured with (needed by sign-request files)

Exit codes: 0 printed, 2 a file or value that cannot be filled.`;

function main(argv: readonly string[]): number {
  if (printUsageIfAsked(argv, FILL_EVENT_USAGE)) return 0;
  const [file, ...rest] = argv;
  if (file === undefined || rest.length > 0) {
    process.stderr.write(`${FILL_EVENT_USAGE.split('\n')[0]}\n`);
    return 2;
  }
  // npm runs scripts from the package root; a relative path means the caller's own directory.
  const path = resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    process.stderr.write(`fill-event: cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    process.stdout.write(fillEvent(source, valuesFromEnvironment(process.env)));
    return 0;
  } catch (error) {
    if (!(error instanceof FillEventError)) throw error;
    process.stderr.write(`fill-event: ${file}: ${error.message}\n`);
    return 2;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
