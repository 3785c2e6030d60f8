/** The offline sandbox as a new user meets it: `npm start`, then the printed command. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { aliOssFromVended, ossRefusal } from '../helpers/ali-oss';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

/** Runs `local/start.ts` as `npm start` does and resolves with the process and what it printed up to the request logs. */
async function startedSandbox(args: readonly string[] = []): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { env: { ...process.env, PORT: '0', TVM_STS_ENDPOINT: '', ALIBABA_CLOUD_ACCESS_KEY_ID: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    child.once('exit', () => reject(new Error(`npm start exited early:\n${output}`)));
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Press Ctrl+C')) resolve({ child, output });
    });
  });
}

/** The credentials command `npm start` prints first: its token and URL. */
async function printedCommand(): Promise<{ token: string; url: string }> {
  const { output } = await startedSandbox();
  const line = output.split('\n').find((candidate) => candidate.startsWith('curl ')) ?? '';
  const match = /^curl -s -H 'Authorization: Bearer ([^']+)' '([^']+)'$/.exec(line);
  expect(match, `printed command: ${line}`).not.toBeNull();
  return { token: match?.[1] ?? '', url: match?.[2] ?? '' };
}

describe('npm start', () => {
  it('prints a one-line command that fetches credentials from the running sandbox', async () => {
    const { token, url } = await printedCommand();
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ StatusCode: 200, Prefix: 'users/alice/', Scope: 'user' });
    expect(body['AccessKeyId']).toMatch(/^STS\./);
    expect(body['Expiration']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  }, 30_000);

  it('stops cleanly on SIGTERM', async () => {
    const child = children[0];
    expect(child).toBeDefined();
    child?.kill('SIGTERM');
    const [code] = (await once(child as ChildProcess, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});

describe('startSandbox', () => {
  it('serves the functions over HTTP, with tokens from its demo identity provider and its JWKS', async () => {
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const token = (await (await fetch(`${sandbox.url}/issuer/token?sub=zoe`)).text()).trim();
      const vended = await fetch(sandbox.functionUrls['vend-token'] ?? '', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"scope":"user"}' });
      expect(vended.status).toBe(200);
      expect(vended.headers.get('cache-control')).toBe('no-store');
      expect(((await vended.json()) as { Prefix: string }).Prefix).toBe('users/zoe/');
      const refused = await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}x` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(sandbox.sts?.successfulCalls).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});

/** Runs a shell command line as a user pasting it would, and resolves with its standard output. */
async function runInBash(command: string): Promise<string> {
  const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let stdout = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  return stdout;
}

describe('npm start: the sign-request example', () => {
  it('prints, after "Sign an upload", a command that has the running sandbox sign an upload', async () => {
    // Prepare
    const { child, output } = await startedSandbox();
    try {
      const lines = output.split('\n');
      const intro = lines.findIndex((line) => line.startsWith('Sign an upload'));
      expect(intro).toBeGreaterThan(-1);
      const command = lines.slice(intro + 1).find((line) => line.trim() !== '');
      expect(command).toMatch(/^curl .*\/sign-request'$/);
      expect(lines[intro]).toContain('V1 self-signing mode');
      expect(lines[intro]).toContain('restart with npm start -- --legacy-v1 to send it');
      expect(output).toContain('accepts only V4 signatures, like a bucket created today');

      // Act: the printed line as is (it uses printf and date), in bash.
      const reply = await runInBash(command ?? '');

      // Assess: `curl -i` prints the status, the headers, a blank line and the body.
      const split = reply.indexOf('\r\n\r\n');
      const [head, body] = [reply.slice(0, split), reply.slice(split + 4)];
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(head).toMatch(/^content-type: text\/plain/im);
      expect(head).toMatch(/^x-oss-security-token: \S{20,}\r?$/im);
      expect(body).toMatch(/^OSS STS\.[^:]+:[A-Za-z0-9+/]+=*$/);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  }, 30_000);
});

describe('npm start -- --legacy-v1', () => {
  it('runs a legacy bucket and says the V1 example can be sent to it', async () => {
    // Act
    const { child, output } = await startedSandbox(['--legacy-v1']);
    try {
      // Assess
      expect(output).toContain('legacy, accepts V1 and V4 signatures');
      expect(output).toMatch(/^Sign an upload .*this one is\):$/m);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  }, 30_000);
});

describe('startSandbox: sign-request', () => {
  it('answers at functionUrls["sign-request"], signing with credentials its STS emulator issued', async () => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const url = sandbox.functionUrls['sign-request'] ?? '';
      expect(url).toBe(`${sandbox.url}/sign-request`);
      const token = (await (await fetch(`${sandbox.url}/issuer/token?sub=zoe`)).text()).trim();
      const bucket = sandbox.settings['TVM_BUCKET'];
      const date = new Date().toUTCString();
      const content = `PUT\n\ntext/plain\n${date}\n/${bucket}/users/zoe/hello.txt`;
      const headers = { Authorization: `Bearer ${token}` };

      // Act
      const text = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: content });
      const json = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ stringToSign: content }) });
      const refused = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: content.replace('users/zoe/', 'users/bob/') });
      const wrongMethod = await fetch(url, { method: 'DELETE', headers });

      // Assess
      expect(text.status).toBe(200);
      const authorization = await text.text();
      expect(authorization).toMatch(/^OSS STS\.[^:]+:[A-Za-z0-9+/]+=*$/);
      const securityToken = text.headers.get('x-oss-security-token') ?? '';
      const accessKeyId = authorization.slice('OSS '.length, authorization.indexOf(':'));
      const issued = sandbox.sts?.findIssued(accessKeyId);
      expect(issued?.issued.securityToken).toBe(securityToken);
      const signed = `PUT\n\ntext/plain\n${date}\nx-oss-security-token:${securityToken}\n/${bucket}/users/zoe/hello.txt`;
      expect(authorization).toBe(`OSS ${accessKeyId}:${createHmac('sha1', issued?.issued.accessKeySecret ?? '').update(signed).digest('base64')}`);
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({ StatusCode: 200, Authorization: authorization, SecurityToken: securityToken, SignedString: signed });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { ErrorCode: string }).ErrorCode).toBe('KeyNotAllowed');
      expect(wrongMethod.status).toBe(405);
      expect(sandbox.sts?.successfulCalls).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});

describe('startSandbox: the sandbox bucket', () => {
  async function vended(sandbox: Sandbox): Promise<Record<string, unknown>> {
    const token = await sandbox.issuer.issue('zoe');
    const response = await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  it('accepts only V4 signatures by default, like a bucket created today: V1 is refused with EC 0002-00000080', async () => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const credentials = await vended(sandbox);
      // Act
      const v1 = await ossRefusal(aliOssFromVended(credentials).put('users/zoe/v1.txt', Buffer.from('v1')));
      await aliOssFromVended(credentials, { authorizationV4: true }).put('users/zoe/v4.txt', Buffer.from('v4'));
      // Assess
      expect(sandbox.legacyV1).toBe(false);
      expect(v1).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0002-00000080' });
      expect([...(sandbox.oss?.objects(sandbox.settings['TVM_BUCKET'] ?? '').keys() ?? [])]).toEqual(['users/zoe/v4.txt']);
    } finally {
      await sandbox.close();
    }
  });

  it.each([
    ['legacyV1: true', { legacyV1: true }, {}],
    ['SANDBOX_LEGACY_V1=1', {}, { SANDBOX_LEGACY_V1: '1' }],
  ])('is a legacy bucket that accepts V1 and V4 with %s', async (_name, options, environment) => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment, ...options, logger: { request: () => {}, event: () => {} } });
    try {
      const credentials = await vended(sandbox);
      // Act
      await aliOssFromVended(credentials).put('users/zoe/v1.txt', Buffer.from('v1'));
      const got = await aliOssFromVended(credentials, { authorizationV4: true }).get('users/zoe/v1.txt');
      // Assess
      expect(sandbox.legacyV1).toBe(true);
      expect(got.content.toString()).toBe('v1');
    } finally {
      await sandbox.close();
    }
  });
});
