/**
 * s.yaml, checked without a network: rendered by Serverless Devs itself (`s preview`, which works
 * offline), then validated against a strict schema of the fc3 props we use.
 */
import Ajv from 'ajv';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../shared/config/load-config';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sBinary = join(root, 'node_modules', '.bin', 's');
const schema = JSON.parse(readFileSync(join(root, 'test/deploy/fc3-props.schema.json'), 'utf8')) as object;
const validateProps = new Ajv({ allErrors: true, strict: false }).compile(schema);
const FUNCTIONS = ['vend-token', 'sign-request'];

/** What a deployer exports before `s deploy`: the required settings only. */
const DEPLOYER_ENVIRONMENT = {
  TVM_REGION: 'cn-hangzhou',
  TVM_ROLE_ARN: 'acs:ram::1234567890123456:role/oss-tvm-app',
  TVM_FUNCTION_ROLE_ARN: 'acs:ram::1234567890123456:role/oss-tvm-function',
  TVM_BUCKET: 'photos',
  TVM_JWT_ISSUER: 'https://id.example.com/',
  TVM_JWT_AUDIENCE: 'photo-app',
};

interface Rendered {
  resources: Record<string, { component: string; actions?: Record<string, { run: string }[]>; props: Record<string, unknown> & { environmentVariables: Record<string, string> } }>;
}

let home: string;

/** Renders a template with `s preview -o json`, as `s deploy` would before calling fc3. */
function preview(template: string, environment: Record<string, string> = DEPLOYER_ENVIRONMENT): Promise<Rendered> {
  const directory = mkdtempSync(join(tmpdir(), 'oss-tvm-s-'));
  const file = join(directory, 's.yaml');
  writeFileSync(file, template);
  return new Promise((resolve, reject) => {
    execFile(sBinary, ['preview', '-o', 'json', '-t', file], { env: { PATH: process.env['PATH'], HOME: home, ...environment }, timeout: 30_000 }, (error, stdout) => {
      rmSync(directory, { recursive: true, force: true });
      if (error) return reject(new Error(`s preview failed: ${stdout}`));
      resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as Rendered);
    });
  });
}

const template = readFileSync(join(root, 's.yaml'), 'utf8');
let rendered: Rendered;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'oss-tvm-s-home-'));
  rendered = await preview(template);
}, 30_000);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('s.yaml', () => {
  it('renders offline into two fc3 functions whose props pass the strict schema', () => {
    expect(Object.keys(rendered.resources).sort()).toEqual([...FUNCTIONS].sort());
    for (const name of FUNCTIONS) {
      const resource = rendered.resources[name];
      expect(resource?.component).toBe('fc3');
      expect(validateProps(resource?.props), `${name}: ${JSON.stringify(validateProps.errors)}`).toBe(true);
    }
  });

  it('deploys the built bundles with the nodejs20 runtime and the function role from the environment', () => {
    for (const name of FUNCTIONS) {
      const props = rendered.resources[name]?.props;
      expect(props).toMatchObject({ runtime: 'nodejs20', handler: 'index.handler', code: `./dist/${name}`, role: DEPLOYER_ENVIRONMENT.TVM_FUNCTION_ROLE_ARN });
      expect(template).not.toMatch(/role:\s*auto/);
    }
  });

  it('builds before deploying', () => {
    const actions = Object.values(rendered.resources).flatMap((resource) => resource.actions?.['pre-deploy'] ?? []);
    expect(actions.map((action) => action.run)).toContain('npm run build');
  });

  it('keeps the STS client deadline well inside the function timeout', () => {
    for (const name of FUNCTIONS) {
      const props = rendered.resources[name]?.props as unknown as { timeout: number };
      expect(props.timeout).toBeGreaterThanOrEqual(2 * 5);
    }
  });

  it('sets nothing FC 3.0 ignores for nodejs20: no instance concurrency, which built-in runtimes do not have', () => {
    for (const name of FUNCTIONS) expect(rendered.resources[name]?.props).not.toHaveProperty('instanceConcurrency');
  });

  it('serves each function on an anonymous HTTP trigger with the methods it answers', () => {
    const methods = (name: string) => (rendered.resources[name]?.props['triggers'] as { triggerConfig: { authType: string; methods: string[] } }[])[0]?.triggerConfig;
    expect(methods('vend-token')).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'OPTIONS'] });
    expect(methods('sign-request')).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'OPTIONS'] });
  });

  it('passes every TVM_* setting the code reads, and nothing else', () => {
    const readByCode = new Set(sourceFiles(['functions', 'shared']).flatMap((file) => readFileSync(file, 'utf8').match(/\bTVM_[A-Z0-9_]+\b/g) ?? []));
    expect([...readByCode].sort()).toEqual([...SETTING_NAMES].sort());
    for (const name of FUNCTIONS) {
      expect(Object.keys(rendered.resources[name]?.props.environmentVariables ?? {}).sort()).toEqual([...SETTING_NAMES].sort());
    }
  });

  it('passes the deployer\'s values through, with safe defaults only for optional settings', () => {
    const environment = rendered.resources['vend-token']?.props.environmentVariables ?? {};
    for (const [name, value] of Object.entries(DEPLOYER_ENVIRONMENT)) if (name in environment) expect(environment[name]).toBe(value);
    expect(environment['TVM_JWT_SECRET']).toBe('');
    expect(environment['TVM_SIGNING_CREDENTIALS']).toBe('scoped');
  });

  it('refuses to render when a required setting is missing', async () => {
    const { TVM_BUCKET: _omitted, ...withoutBucket } = DEPLOYER_ENVIRONMENT;
    await expect(preview(template, withoutBucket)).rejects.toThrow(/TVM_BUCKET/);
  });

  it('holds no AccessKey', () => {
    expect(template).not.toMatch(/LTAI[A-Za-z0-9]{12,}|AccessKeySecret|accessKeySecret:/);
  });

  describe.concurrent('the schema catches what fc3 would not', () => {
    it.each([
      ['a misspelled prop', (text: string) => text.replace('environmentVariables: *environment\n      triggers', 'enviromentVariables: *environment\n      triggers')],
      ['memorySize not a multiple of 64', (text: string) => text.replace('memorySize: 256', 'memorySize: 300')],
      ['an unknown runtime', (text: string) => text.replace('runtime: nodejs20', 'runtime: nodejs22')],
      ['an authType fc3 does not accept', (text: string) => text.replace('authType: anonymous', 'authType: none')],
      ['a method fc3 does not accept', (text: string) => text.replace('methods: [GET, POST, OPTIONS]', 'methods: [GET, POST, CONNECT]')],
      ['instance concurrency on a nodejs20 event function', (text: string) => text.replace('    timeout: 10\n', '    timeout: 10\n    instanceConcurrency: 20\n')],
    ])('%s', async (_case, mutate) => {
      const mutated = mutate(template);
      expect(mutated).not.toBe(template);
      const output = await preview(mutated);
      const valid = FUNCTIONS.every((name) => validateProps(output.resources[name]?.props));
      expect(valid).toBe(false);
    });
  });
});

describe('the fc3 props schema', () => {
  const eventFunction = {
    region: 'cn-hangzhou', functionName: 'f', runtime: 'nodejs20', handler: 'index.handler', code: './dist/f', memorySize: 256, timeout: 10,
    role: DEPLOYER_ENVIRONMENT.TVM_FUNCTION_ROLE_ARN, environmentVariables: {}, triggers: [{ triggerName: 'http', triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['GET'] } }],
  };
  const { handler: _handler, ...withoutHandler } = eventFunction;
  const webFunction = { ...withoutHandler, runtime: 'custom.debian10', instanceConcurrency: 100, customRuntimeConfig: { command: ['node'], args: ['server.js'], port: 9000 } };

  it.each([
    ['a nodejs20 event function', eventFunction],
    ['a custom-runtime web function with instance concurrency', webFunction],
  ])('accepts %s', (_case, props) => {
    expect(validateProps(props), JSON.stringify(validateProps.errors)).toBe(true);
  });

  it.each([
    ['instance concurrency on a built-in runtime, which FC 3.0 serves one request per instance', { ...eventFunction, instanceConcurrency: 20 }],
    ['a start command on a built-in runtime', { ...eventFunction, customRuntimeConfig: webFunction.customRuntimeConfig }],
    ['a built-in runtime without its handler', { ...withoutHandler }],
    ['a custom runtime without a start command', { ...webFunction, customRuntimeConfig: undefined }],
    ['a custom runtime without instance concurrency', { ...webFunction, instanceConcurrency: undefined }],
    ['instance concurrency above 200', { ...webFunction, instanceConcurrency: 201 }],
  ])('refuses %s', (_case, props) => {
    expect(validateProps(JSON.parse(JSON.stringify(props)))).toBe(false);
  });
});

function sourceFiles(folders: string[]): string[] {
  return folders.flatMap((folder) => walk(join(root, folder))).filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.generated.js'));
}

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
