/** `npm run ram-policies`: the functions' own validation, and README showing what it prints. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ramPolicies } from '../../scripts/ram-policies';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the script as `npm run -s ram-policies` does, with exactly `environment`. */
function runScript(environment: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/ram-policies.ts', ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...environment } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('ramPolicies', () => {
  it.each([
    ['TVM_ROLE_ARN', 'acs:ram:123:role/x'],
    ['TVM_ROLE_ARN', 'acs:ram::123:user/x'],
    ['TVM_FUNCTION_ROLE_ARN', 'acs:ram:123:role/x'],
  ])('refuses %s=%s, an ARN the functions refuse', (name, value) => {
    expect(() => ramPolicies({ TVM_BUCKET: 'photos', [name]: value })).toThrow(new RegExp(`${name} is invalid`));
  });

  it('refuses any other setting the functions would refuse at cold start, in their words', () => {
    expect(() => ramPolicies({ TVM_BUCKET: 'Photos' })).toThrow(/TVM_BUCKET is invalid: expected an OSS bucket name/);
    expect(() => ramPolicies({ TVM_BUCKET: 'photos', TVM_IDENTITY_CLAIM: 'a b' })).toThrow(/TVM_IDENTITY_CLAIM is invalid/);
    expect(() => ramPolicies({ TVM_BUCKET: 'photos', TVM_DURATION_SECONDS: '60' })).toThrow(/TVM_DURATION_SECONDS is invalid/);
  });

  it('accepts what the functions accept, placeholders standing in for unset role ARNs', () => {
    const titles = ramPolicies({ TVM_BUCKET: 'photos', TVM_ROLE_ARN: 'acs:ram::1234567890123456:role/app' }).map(({ title }) => title);
    expect(titles).toEqual([
      'Function role (acs:ram::<account-id>:role/oss-tvm-function): trust policy',
      'Function role: permission policy',
      'App role (acs:ram::1234567890123456:role/app): trust policy',
      'App role: permission policy',
    ]);
  });
});

describe('npm run ram-policies', () => {
  it('exits 2 with one line naming the setting, and prints no policy, for an ARN the functions refuse', async () => {
    const { code, stdout, stderr } = await runScript({ TVM_BUCKET: 'photos', TVM_ROLE_ARN: 'acs:ram:123:role/x' });
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^ram-policies: .*TVM_ROLE_ARN is invalid.*\n$/);
  });

  it('prints for the default scope exactly what README\'s "RAM setup" shows', async () => {
    const { code, stdout } = await runScript({ TVM_BUCKET: 'photos' });
    expect(code).toBe(0);
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('\n## RAM setup\n'), readme.indexOf('\n## Deploying\n'));
    expect(section).toContain('`TVM_BUCKET=photos npm run -s ram-policies` prints exactly this');
    const shown = /```text\n([^]*?)```/.exec(section)?.[1];
    expect(shown).toBe(stdout.replace(/\n+$/, '\n'));
  });
});
