/**
 * A fresh clone sets up without warnings: `npm ci` has a decision for every dependency that carries
 * an install script (npm 11 blocks unreviewed ones and warns), and `npm run generate` prints only
 * what it wrote.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateValidatorSource } from '../../scripts/validator-source';

const ROOT = new URL('../../', import.meta.url);
const readJson = (file: string) => JSON.parse(readFileSync(new URL(file, ROOT), 'utf8')) as Record<string, unknown>;

describe('npm ci', () => {
  it('finds every locked package with an install script approved or denied in package.json allowScripts', () => {
    const lock = readJson('package-lock.json') as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };
    const allowScripts = (readJson('package.json')['allowScripts'] ?? {}) as Record<string, boolean>;
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version }));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const { name, version } of withScripts) {
      const decided = Object.keys(allowScripts).some((entry) => entry === name || entry === `${name}@${version}`);
      expect(decided, `${name}@${version} has an install script: run npm install-scripts approve (or deny) ${name}`).toBe(true);
    }
  });
});

describe('npm run generate', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('generates the validators without printing a warning (ajv deprecations included)', () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const log = vi.spyOn(console, 'log');
    expect(generateValidatorSource()).toContain('export const validateEnvironment');
    expect([...warn.mock.calls, ...error.mock.calls, ...log.mock.calls]).toEqual([]);
  });
});
