/** `npm run invoke`: a built function run with an event file, as FC 3.0 runs it, without Docker. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../scripts/build';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dist: string;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'oss-tvm-invoke-'));
  await buildFunctions(dist);
}, 60_000);

afterAll(() => rmSync(dist, { recursive: true, force: true }));

function invoke(args: string[], environment: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(TVM_|SANDBOX_|ALIBABA_CLOUD_)/.test(name)));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/invoke.ts', ...args], { cwd: ROOT, env: { ...inherited, ...environment } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('npm run invoke', () => {
  it('runs the built vend-token with an event file and prints its answer: credentials from the sandbox STS for the demo user', async () => {
    const { code, stdout, stderr } = await invoke(['events/vend-token.get.json', '--dist', dist, '--sub', 'bob']);
    expect(code, stderr).toBe(0);
    const response = JSON.parse(stdout) as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
    expect(response).toMatchObject({ statusCode: 200, isBase64Encoded: false, headers: { 'Cache-Control': 'no-store' } });
    expect(JSON.parse(response.body)).toMatchObject({ StatusCode: 200, AccessKeyId: expect.stringMatching(/^STS\./), Bucket: 'oss-tvm-sandbox', Prefix: 'users/bob/' });
    // The function's own log line goes to standard error, so standard output is the answer alone.
    expect(stderr).toMatch(/"function":"vend-token".*"identity":"bob".*"status":200/);
  }, 60_000);

  it('runs the built sign-request with an event filled for the sandbox bucket, and prints the signature', async () => {
    const { code, stdout, stderr } = await invoke(['events/sign-request.put-text.json', '--dist', dist]);
    expect(code, stderr).toBe(0);
    const response = JSON.parse(stdout) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/^OSS STS\.[^:]+:[A-Za-z0-9+/]+=*$/);
    expect(response.headers['x-oss-security-token']).toMatch(/\S{20,}/);
  }, 60_000);

  it('prints its usage for --help and exits 0; says what is missing with exit code 2', async () => {
    const help = await invoke(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: npm run -s invoke -- <events\/file\.json>/);
    expect(help.stdout).toContain('handler(event, context)');
    const none = await invoke([]);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    const unbuilt = await invoke(['events/vend-token.get.json', '--dist', join(dist, 'nothing-here')]);
    expect(unbuilt).toMatchObject({ code: 2, stdout: '' });
    expect(unbuilt.stderr).toMatch(/run npm run build first/);
    const unnamed = await invoke(['package.json', '--dist', dist]);
    expect(unnamed.stderr).toMatch(/is not named after a function/);
  }, 60_000);
});
