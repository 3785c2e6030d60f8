/**
 * README's plain-HTTP V4 recipe (examples/plain-http-v4.mjs) as a user runs it: a separate node
 * process with only the sign-request URL, a token and a file, against the sandbox's V4-only
 * bucket, in both credential modes. The bytes must arrive under the user's prefix.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';

const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('../../examples/plain-http-v4.mjs', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

describe.each(['scoped', 'function'] as const)('the plain-HTTP V4 recipe, %s signing credentials', (mode) => {
  let sandbox: Sandbox;
  let folder: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, environment: { TVM_SIGNING_CREDENTIALS: mode }, logger: { request() {}, event() {} } });
    folder = await mkdtemp(join(tmpdir(), 'plain-http-v4-'));
  });
  afterAll(async () => {
    await sandbox.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('uploads a file under the user’s prefix with a V4 signature that the V4-only bucket accepts', async () => {
    // Prepare
    const file = join(folder, 'notes from alice.txt');
    await writeFile(file, 'signed by sign-request, sent by fetch');
    const token = await sandbox.issuer.issue('alice');
    // Act
    const { stdout } = await run(process.execPath, [EXAMPLE, sandbox.functionUrls['sign-request'] ?? '', file], { env: { ...process.env, TVM_JWT: token } });
    // Assess
    expect(stdout).toMatch(/^uploaded 37 bytes to users\/alice\/notes from alice\.txt/);
    const stored = sandbox.oss?.objects(sandbox.settings['TVM_BUCKET'] ?? '').get('users/alice/notes from alice.txt');
    expect(stored?.body.toString()).toBe('signed by sign-request, sent by fetch');
  });

  it('exits non-zero with sign-request’s ErrorCode when the token is not valid, and uploads nothing', async () => {
    // Prepare
    const file = join(folder, 'never.txt');
    await writeFile(file, 'x');
    const expired = await sandbox.issuer.issue('alice', -120);
    // Act
    const outcome = await run(process.execPath, [EXAMPLE, sandbox.functionUrls['sign-request'] ?? '', file], { env: { ...process.env, TVM_JWT: expired } }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    // Assess
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain('InvalidToken');
    expect(sandbox.oss?.objects(sandbox.settings['TVM_BUCKET'] ?? '').has('users/alice/never.txt')).toBe(false);
  });
});

describe('README’s plain-HTTP V4 recipe', () => {
  it('shows examples/plain-http-v4.mjs exactly as it is tested', async () => {
    // Prepare
    const { readFile } = await import('node:fs/promises');
    const [readme, script] = await Promise.all([readFile(README, 'utf8'), readFile(EXAMPLE, 'utf8')]);
    // Assess
    expect(readme).toContain(`\`\`\`js\n${script}\`\`\``);
  });
});
