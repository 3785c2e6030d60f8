/**
 * `npm run invoke -- events/<function>.<call>.json`: runs a built function with an event file,
 * without Docker or an account, the way the FC 3.0 runtime does: it loads the bundle
 * `dist/<function>/index.js` with the sandbox's settings in the environment (a cold start), fills
 * the event's placeholders, calls `handler(event, context)` with the event as a Buffer and, as
 * `context.credentials`, the function role's credentials from the sandbox's STS emulator, and prints
 * the handler's answer. The sandbox (STS and OSS emulators, demo identity provider) runs in this
 * process for the call.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FcContext } from '../shared/http/fc-event';
import type { HttpResponse } from '../shared/http/message';
import { printUsageIfAsked } from './cli';
import { DEFAULT_SUB, FillEventError, fillEvent, valuesFromEnvironment } from './fill-event';

export const INVOKE_USAGE = `Usage: npm run -s invoke -- <events/file.json> [--sub <user>] [--dist <dir>]

Runs the built function an event file is named after (events/vend-token.get.json: vend-token) as
FC 3.0 does, without Docker: loads dist/<function>/index.js (npm run build first), fills the event,
calls handler(event, context) with the event as a Buffer and the function role's credentials from
the sandbox's STS emulator, and prints the answer {statusCode, headers, body, isBase64Encoded} as
JSON. The function's log lines go to standard error.

  --sub <user>   the user of the demo token, and \${SUB} (default ${DEFAULT_SUB}; or TVM_EVENT_SUB)
  --dist <dir>   where the bundles are (default dist)

TVM_* variables override the sandbox's settings, as for npm start; TVM_EVENT_TOKEN replaces the demo
token. Exit codes: 0 the handler answered (whatever its status), 1 it threw, 2 usage or setup error.`;

type Handler = (event: Buffer, context: FcContext) => Promise<HttpResponse>;

async function main(argv: readonly string[]): Promise<number> {
  if (printUsageIfAsked(argv, INVOKE_USAGE)) return 0;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { sub: { type: 'string' }, dist: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError((error as Error).message.split('\n')[0] ?? 'unreadable arguments');
  }
  const [file, ...rest] = parsed.positionals;
  if (file === undefined || rest.length > 0) return usageError('give exactly one event file');
  const caller = process.env['INIT_CWD'] ?? process.cwd();
  const eventPath = resolve(caller, file);
  const name = basename(eventPath).split('.')[0] ?? '';
  const functions = readdirSync(fileURLToPath(new URL('../functions', import.meta.url)));
  if (!functions.includes(name)) return setupError(`${file} is not named after a function: name event files <function>.<call>.json, the function one of ${functions.join(', ')}.`);
  const bundle = resolve(caller, parsed.values.dist ?? fileURLToPath(new URL('../dist', import.meta.url)), name, 'index.js');
  if (!existsSync(bundle)) return setupError(`there is no built ${name} at ${bundle}: run npm run build first (the event file's name says which function it is for).`);
  let source: string;
  try {
    source = readFileSync(eventPath, 'utf8');
  } catch (error) {
    return setupError(`cannot read ${file}: ${(error as Error).message}`);
  }

  // The sandbox's modules load only now: usage and the refusals above answer at once.
  const { startSandbox } = await import('../local/sandbox');
  const sandbox = await startSandbox({ port: 0, logger: { request: () => {}, event: () => {} } });
  try {
    if (sandbox.configurationProblems.length > 0) return setupError(`the functions would refuse this configuration: ${sandbox.configurationProblems.join('; ')}.`);
    const values = valuesFromEnvironment(process.env);
    const sub = parsed.values.sub ?? values.sub ?? DEFAULT_SUB;
    let event: string;
    try {
      event = fillEvent(source, { ...values, sub, bucket: sandbox.settings['TVM_BUCKET'] ?? '', token: values.token ?? (await sandbox.issuer.issue(sub)) });
    } catch (error) {
      if (error instanceof FillEventError) return setupError(`${file}: ${error.message}`);
      throw error;
    }
    const handler = loadBundle(bundle, sandbox.settings);
    const requestId = `1-invoke-${Date.now().toString(36)}`;
    const context: FcContext & { function: object } = {
      requestId,
      credentials: sandbox.functionCredentials,
      region: sandbox.settings['TVM_REGION'] ?? 'cn-hangzhou',
      function: { name, handler: 'index.handler', memory: 256, timeout: 10 },
    };
    let response: HttpResponse;
    try {
      response = await toStandardError(() => handler(Buffer.from(event), context));
    } catch (error) {
      process.stderr.write(`invoke: the handler threw: ${(error as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
    return 0;
  } finally {
    await sandbox.close();
  }
}

/** Loads the bundle as the runtime does at a cold start: with the function's settings in process.env. */
function loadBundle(bundle: string, settings: Readonly<Record<string, string>>): Handler {
  for (const name of Object.keys(process.env)) if (name.startsWith('TVM_')) delete process.env[name];
  Object.assign(process.env, settings);
  const loaded = toStandardErrorSync(() => createRequire(import.meta.url)(bundle) as { handler?: unknown });
  if (typeof loaded.handler !== 'function') throw new Error(`${bundle} exports no handler`);
  return loaded.handler as Handler;
}

/** Runs `action` with the function's log lines (written to standard output) sent to standard error. */
async function toStandardError<T>(action: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await action();
  } finally {
    process.stdout.write = write;
  }
}

function toStandardErrorSync<T>(action: () => T): T {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return action();
  } finally {
    process.stdout.write = write;
  }
}

function usageError(problem: string): number {
  process.stderr.write(`invoke: ${problem}. Run with --help for usage.\n`);
  return 2;
}

function setupError(problem: string): number {
  process.stderr.write(`invoke: ${problem}\n`);
  return 2;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
