/** Every command of package.json that the project writes answers --help with its usage and exit code 0. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
/** The scripts that run one of our files (`tsx <file>` or `node --import tsx <file>`), with that file. */
const OURS = Object.entries(scripts).flatMap(([name, command]) => {
  const file = /^(?:tsx|node --import tsx) ((?:scripts|local)\/[\w/-]+\.ts)$/.exec(command)?.[1];
  return file === undefined ? [] : [[name, file] as const];
});

describe('npm run <script> -- --help', () => {
  it('covers the commands README names', () => {
    expect(OURS.map(([name]) => name).sort()).toEqual(expect.arrayContaining(['bench', 'build', 'event', 'generate', 'invoke', 'ram-policies', 'smoke', 'start']));
  });

  // Concurrent: each is a process of its own, mostly starting up.
  it.concurrent.each(OURS)('npm run %s -- --help prints its usage and exits 0', async (_name, file) => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', file, '--help'], { cwd: ROOT }, (error, out) => resolve({ code: error ? Number(error.code) : 0, stdout: out }));
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: /i);
  }, 30_000);
});
