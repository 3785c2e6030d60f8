/** The offline sandbox as a new user meets it: `npm start`, then the printed command. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../local/sandbox';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

/** Runs `local/start.ts` as `npm start` does and resolves with the curl line it prints. */
async function printedCommand(): Promise<{ token: string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { env: { ...process.env, PORT: '0', TVM_STS_ENDPOINT: '', ALIBABA_CLOUD_ACCESS_KEY_ID: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    child.once('exit', () => reject(new Error(`npm start exited early:\n${output}`)));
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n').find((candidate) => candidate.startsWith('curl '));
      const match = line === undefined ? null : /^curl -s -H 'Authorization: Bearer ([^']+)' '([^']+)'$/.exec(line);
      if (match && output.includes('Press Ctrl+C')) resolve({ token: match[1] ?? '', url: match[2] ?? '' });
    });
  });
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
