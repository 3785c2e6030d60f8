/**
 * `npm start`: runs the sandbox on http://127.0.0.1:9000 (PORT to change it) and prints commands
 * that fetch credentials and sign an upload, ready to paste. Its bucket accepts only V4 signatures,
 * like a bucket created today; `npm start -- --legacy-v1` (or SANDBOX_LEGACY_V1=1) makes it a legacy
 * bucket that also accepts V1.
 *
 * It stops on Ctrl+C, SIGTERM or SIGHUP, and when the process that started it is gone (npm stopped
 * by its process id). A configuration the functions would refuse, a taken port or a bad PORT is one
 * clear message and a non-zero exit: 1 when it cannot run, 2 for a bad PORT or argument.
 */
import { printUsageIfAsked } from '../scripts/cli';
import { notReadyBanner, readyBanner } from './banner';
import { launcherPids, whenLaunchersExit } from './parent-watch';
import type { Sandbox } from './sandbox';

const USAGE = `Usage: [PORT=<port>] npm start [-- --legacy-v1]

Runs the offline sandbox: vend-token and sign-request on http://127.0.0.1:<port> (default 9000;
0 picks a free port), beside an STS emulator, an OSS emulator and a demo identity provider, and
prints commands to try them. TVM_* variables override the sandbox's settings (README, "Configuration");
TVM_JWT_SECRET, or SANDBOX_JWT_PRIVATE_KEY, makes the demo identity provider sign with that key
instead of its own JWKS.

  --legacy-v1   a legacy bucket that accepts V1 and V4 signatures (default: V4 only, like a bucket
                created today; also SANDBOX_LEGACY_V1=1)
  --help        this text

Exit codes: 0 stopped, 1 could not run (configuration, port in use), 2 bad PORT or argument.`;

/** The port in PORT, or a sentence saying why it is not one. */
export function parsePort(text: string | undefined): number | string {
  if (text === undefined || text.trim() === '') return 9000;
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  return port <= 65535 ? port : `PORT must be a port number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(text.slice(0, 20))}.`;
}

/** A one-line reason the sandbox server could not listen on `port`. */
export function listenFailure(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${port} is already in use (is another npm start still running?): stop it, or choose another port, such as PORT=${port === 9100 ? 9200 : 9100} npm start.`;
  if (code === 'EACCES') return `port ${port} needs privileges this user lacks: choose one above 1023, such as PORT=9100 npm start.`;
  if (code === 'EADDRNOTAVAIL') return 'the address 127.0.0.1 is not available on this machine.';
  return `the server could not start: ${(error as Error).message}`;
}

async function main(argv: readonly string[]): Promise<number> {
  if (printUsageIfAsked(argv, USAGE)) return 0;
  const unknown = argv.find((argument) => argument !== '--legacy-v1');
  if (unknown !== undefined) {
    process.stderr.write(`oss-tvm sandbox: unknown argument ${JSON.stringify(unknown.slice(0, 40))}. Run npm start -- --help for usage.\n`);
    return 2;
  }
  const port = parsePort(process.env['PORT']);
  if (typeof port === 'string') {
    process.stderr.write(`oss-tvm sandbox: ${port}\n`);
    return 2;
  }
  // The sandbox's modules load only now: usage and the refusals above answer at once.
  const { startSandbox } = await import('./sandbox');
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ port, ...(argv.includes('--legacy-v1') ? { legacyV1: true } : {}) });
  } catch (error) {
    process.stderr.write(`oss-tvm sandbox: ${listenFailure(error, port)}\n`);
    return 1;
  }
  if (sandbox.configurationProblems.length > 0) {
    process.stderr.write(notReadyBanner(sandbox.configurationProblems));
    await sandbox.close();
    return 1;
  }
  process.stdout.write(readyBanner(sandbox, await sandbox.issuer.issue('alice', 12 * 3600)));

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  whenLaunchersExit(launcherPids(), stop);
  // Keeps running: the server holds the event loop until stop().
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
