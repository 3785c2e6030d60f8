/**
 * `npm start` as a new user meets it: the banner and the commands it prints, run as printed; how it
 * stops (Ctrl+C, SIGTERM, and npm stopped by its process id); and how it refuses what cannot work
 * (a taken or invalid port, a configuration the functions would refuse).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliOssFromVended } from '../helpers/ali-oss';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STARTUP_MS = 60_000;

/** The environment of a fresh shell: no TVM_*, SANDBOX_* or Alibaba Cloud credentials, PORT 0. */
function cleanEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const kept = Object.entries(process.env).filter(([name, value]) => value !== undefined && !/^(TVM_|SANDBOX_|ALIBABA_CLOUD_|npm_)/.test(name) && name !== 'PORT');
  return { ...(Object.fromEntries(kept) as Record<string, string>), PORT: '0', ...extra };
}

interface Started {
  readonly child: ChildProcess;
  readonly output: string;
  /** The sandbox URL and the OSS emulator URL the banner names. */
  readonly url: string;
  readonly ossUrl: string;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs `command` (npm start, or node on local/start.ts) and resolves once the banner is printed. */
function started(command: string, args: readonly string[], environment: Record<string, string> = {}): Promise<Started> {
  const child = spawn(command, args, { cwd: ROOT, env: cleanEnvironment(environment), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.once('exit', () => reject(new Error(`npm start exited early:\n${output}`)));
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      if (!output.includes('Press Ctrl+C')) return;
      const url = /oss-tvm sandbox listening on (http:\/\/[\d.:]+)/.exec(output)?.[1] ?? '';
      const ossUrl = /OSS emulator at (http:\/\/[\d.:]+)/.exec(output)?.[1] ?? '';
      resolve({ child, output, url, ossUrl });
    });
  });
}

const npmStart = (args: readonly string[] = []) => started('npm', ['start', ...(args.length > 0 ? ['--', ...args] : [])]);
const nodeStart = (environment: Record<string, string> = {}) => started(process.execPath, ['--import', 'tsx', 'local/start.ts'], environment);

/** Runs local/start.ts to its end: its exit code and output. */
async function runToEnd(args: readonly string[], environment: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { cwd: ROOT, env: cleanEnvironment(environment), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Whether something accepts connections at `url`. */
function accepting(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once nothing accepts connections at `url`, or after `deadlineMs` (then the caller's expectation fails). */
async function freed(url: string, deadlineMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (!(await accepting(url))) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** Runs shell lines as a user pasting them would, and resolves with their standard output. */
async function runInBash(lines: string): Promise<string> {
  const child = spawn('bash', ['-c', lines], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  expect(code).toBe(0);
  return stdout;
}

/** The banner's credentials command: its token and URL. */
function credentialsCommand(output: string): { token: string; url: string } {
  const line = output.split('\n').find((candidate) => candidate.startsWith('curl -s -H ')) ?? '';
  const match = /^curl -s -H 'Authorization: Bearer ([^']+)' '([^']+)'$/.exec(line);
  expect(match, `printed command: ${line}`).not.toBeNull();
  return { token: match?.[1] ?? '', url: match?.[2] ?? '' };
}

/** The banner's sign-and-put block: the lines after the paragraph that starts with "Sign an upload". */
function signAndPutBlock(output: string): { intro: string; lines: string } {
  const paragraphs = output.split('\n\n');
  const index = paragraphs.findIndex((paragraph) => paragraph.startsWith('Sign an upload'));
  expect(index).toBeGreaterThan(-1);
  return { intro: paragraphs[index] ?? '', lines: paragraphs[index + 1] ?? '' };
}

describe('npm start -- --legacy-v1', () => {
  let sandbox: Started;
  beforeAll(async () => {
    sandbox = await npmStart(['--legacy-v1']);
  }, STARTUP_MS);

  it('prints a one-line command that fetches credentials from the running sandbox', async () => {
    const { token, url } = credentialsCommand(sandbox.output);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ StatusCode: 200, Prefix: 'users/alice/', Scope: 'user', Endpoint: sandbox.ossUrl });
    expect(body['AccessKeyId']).toMatch(/^STS\./);
  });

  it('prints where the OSS emulator keeps objects (path style) and where its health is', () => {
    expect(sandbox.output).toContain(`OSS emulator objects, path style: ${sandbox.ossUrl}/<bucket>/<key>`);
    expect(sandbox.output).toContain(`health: ${sandbox.url}/health`);
  });

  it('prints a block that has sign-request sign an upload and then sends it to OSS, which stores it', async () => {
    // Prepare
    const { intro, lines } = signAndPutBlock(sandbox.output);
    expect(intro).toMatch(/this one is\):$/);
    expect(sandbox.output).toContain('bucket oss-tvm-sandbox: legacy, accepts V1 and V4 signatures');
    expect(lines.split('\n')).toHaveLength(3);

    // Act: the printed lines as they are, in bash.
    const reply = await runInBash(lines);

    // Assess: OSS answered the PUT 200, and the object is there with the body sent.
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    const { token, url } = credentialsCommand(sandbox.output);
    const vended = (await (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    const stored = await aliOssFromVended(vended, { authorizationV4: true }).get('users/alice/hello.txt');
    expect(stored.content.toString()).toBe('hello from alice');
  });

  it('stops, freeing its ports, when npm is stopped by its process id (SIGTERM)', async () => {
    // Act
    sandbox.child.kill('SIGTERM');
    // Assess
    expect(await freed(sandbox.url)).toBe(true);
    expect(await freed(sandbox.ossUrl)).toBe(true);
  }, 30_000);
});

describe('npm start (a V4-only bucket)', () => {
  let sandbox: Started;
  beforeAll(async () => {
    sandbox = await npmStart();
  }, STARTUP_MS);

  it('prints a V4 upload that succeeds against the V4-only bucket', async () => {
    // Prepare
    const paragraphs = sandbox.output.split('\n\n');
    const line = paragraphs[paragraphs.findIndex((paragraph) => paragraph.startsWith('Upload a file with a V4 signature')) + 1] ?? '';
    expect(line).toMatch(/^TVM_JWT='[^']+' node examples\/plain-http-v4\.mjs '[^']+' package\.json$/);
    // Act: the printed line as it is, in bash, from the project folder as README says.
    const reply = await runInBash(`cd '${ROOT}' && ${line}`);
    // Assess
    expect(reply).toMatch(/^uploaded \d+ bytes to users\/alice\/package\.json/);
    const { token, url } = credentialsCommand(sandbox.output);
    const vended = (await (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    const stored = await aliOssFromVended(vended, { authorizationV4: true }).get('users/alice/package.json');
    expect(JSON.parse(stored.content.toString())).toMatchObject({ name: 'oss-tvm' });
  });

  it('says the V1 block needs --legacy-v1, and OSS answers it as said: 403, EC 0002-00000080', async () => {
    const { intro, lines } = signAndPutBlock(sandbox.output);
    expect(intro).toContain('restart with npm start -- --legacy-v1');
    expect(sandbox.output).toContain('accepts only V4 signatures, like a bucket created today');
    expect(intro).toContain('403 AccessDenied, EC 0002-00000080');
    const reply = await runInBash(lines);
    expect(reply).toMatch(/^HTTP\/1\.1 403 /);
    expect(reply).toContain('0002-00000080');
  });

  it('stops, freeing its port, when npm is killed by its process id (SIGKILL, so npm forwards nothing)', async () => {
    sandbox.child.kill('SIGKILL');
    expect(await freed(sandbox.url)).toBe(true);
  }, 30_000);
});

describe('local/start.ts', () => {
  let sandbox: Started;
  beforeAll(async () => {
    sandbox = await nodeStart();
  }, STARTUP_MS);

  it('refuses a port that is taken in one line and exits 1, leaving the running sandbox alone', async () => {
    const { port } = new URL(sandbox.url);
    const { code, stdout, stderr } = await runToEnd([], { PORT: port });
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(`oss-tvm sandbox: port ${port} is already in use (is another npm start still running?): stop it, or choose another port, such as PORT=9100 npm start.\n`);
    expect(await accepting(sandbox.url)).toBe(true);
  }, 30_000);

  it('stops cleanly on SIGTERM, exit code 0', async () => {
    sandbox.child.kill('SIGTERM');
    const [code] = (await once(sandbox.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(await accepting(sandbox.url)).toBe(false);
  });
});

describe('local/start.ts refusals', () => {
  it.each(['abc', '65536'])('refuses PORT=%s in one line, without a stack trace, exit code 2', async (port) => {
    const { code, stdout, stderr } = await runToEnd([], { PORT: port });
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`oss-tvm sandbox: PORT must be a port number from 0 to 65535 (0 picks a free one), not "${port}".\n`);
  }, 30_000);

  it('says a configuration the functions would refuse is not started, naming each setting, and prints no command, exit code 1', async () => {
    const { code, stdout, stderr } = await runToEnd([], { TVM_SCOPES: '{"user":', TVM_ROLE_ARN: 'acs:ram:123:role/x' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^oss-tvm sandbox NOT started: the functions would refuse this configuration\.\n {2}- TVM_ROLE_ARN is invalid: [^\n]+\n {2}- TVM_SCOPES is invalid: [^\n]+\nFix or unset/m);
    expect(stdout).not.toMatch(/curl|listening/);
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 30_000);

  it('prints its usage for --help and exits 0; refuses an unknown argument with exit code 2', async () => {
    const help = await runToEnd(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: \[PORT=<port>\] npm start/);
    const unknown = await runToEnd(['--legacy'], {});
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^oss-tvm sandbox: unknown argument "--legacy"\. Run npm start -- --help for usage\.\n$/);
  }, 30_000);
});
