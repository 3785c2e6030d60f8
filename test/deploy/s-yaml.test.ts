/**
 * s.yaml (the event profile) and s.web.yaml (the web profile), checked without a network: rendered
 * by Serverless Devs itself (`s preview`, which works offline), then validated against a strict
 * schema of the fc3 props we use, which knows which props each runtime family takes.
 */
import Ajv from 'ajv';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SETTING_NAMES } from '../../shared/config/load-config';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sBinary = join(root, 'node_modules', '.bin', 's');
const schema = JSON.parse(readFileSync(join(root, 'test/deploy/fc3-props.schema.json'), 'utf8')) as object;
const validateProps = new Ajv({ allErrors: true, strict: false }).compile(schema);

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
    // NODE_ENV=test: s starts no background processes (update check, telemetry), which outlived
    // the run and wrote into HOME while it was being removed (ENOTEMPTY). They skip when NODE_ENV
    // is "test" (@serverless-devs/s 3.1.10, lib/index.js, the function that spawns lib/daemon/*).
    execFile(sBinary, ['preview', '-o', 'json', '-t', file], { env: { PATH: process.env['PATH'], HOME: home, NODE_ENV: 'test', ...environment }, timeout: 60_000 }, (error, stdout) => {
      rmSync(directory, { recursive: true, force: true });
      if (error) return reject(new Error(`s preview failed: ${stdout}`));
      resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as Rendered);
    });
  });
}

/** The two deployment profiles: s.yaml (event functions on nodejs20) and s.web.yaml (one web function, custom runtime). */
const PROFILES = [
  { file: 's.yaml', functions: ['vend-token', 'sign-request'] },
  { file: 's.web.yaml', functions: ['web'] },
] as const;
const templates: Record<string, string> = Object.fromEntries(PROFILES.map(({ file }) => [file, readFileSync(join(root, file), 'utf8')]));
const rendered: Record<string, Rendered> = {};

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'oss-tvm-s-home-'));
  // One after the other: the first run sets up s's home folder, which concurrent first runs would race for.
  for (const { file } of PROFILES) rendered[file] = await preview(templates[file] as string);
}, 90_000);
afterAll(() => rmSync(home, { recursive: true, force: true }));

const propsOf = (file: string, name: string): Rendered['resources'][string]['props'] => rendered[file]?.resources[name]?.props as Rendered['resources'][string]['props'];
const triggerOf = (file: string, name: string) => (propsOf(file, name)['triggers'] as { triggerConfig: { authType: string; methods: string[] } }[])[0]?.triggerConfig;

describe.each(PROFILES)('$file', ({ file, functions }) => {
  const template = templates[file] as string;

  it('renders offline into fc3 functions whose props pass the strict schema', () => {
    expect(Object.keys(rendered[file]?.resources ?? {}).sort()).toEqual([...functions].sort());
    for (const name of functions) {
      expect(rendered[file]?.resources[name]?.component).toBe('fc3');
      expect(validateProps(propsOf(file, name)), `${name}: ${JSON.stringify(validateProps.errors)}`).toBe(true);
    }
  });

  it('deploys with the function role from the environment, never an automatic one', () => {
    for (const name of functions) expect(propsOf(file, name)['role']).toBe(DEPLOYER_ENVIRONMENT.TVM_FUNCTION_ROLE_ARN);
    expect(template).not.toMatch(/role:\s*auto/);
  });

  it('builds before deploying', () => {
    const actions = Object.values(rendered[file]?.resources ?? {}).flatMap((resource) => resource.actions?.['pre-deploy'] ?? []);
    expect(actions.map((action) => action.run)).toContain('npm run build');
  });

  it('keeps the STS client deadline well inside the function timeout', () => {
    for (const name of functions) expect(propsOf(file, name)['timeout']).toBeGreaterThanOrEqual(2 * 5);
  });

  it('passes every TVM_* setting the code reads, and nothing else', () => {
    const readByCode = new Set(sourceFiles(['functions', 'shared']).flatMap((source) => readFileSync(source, 'utf8').match(/\bTVM_[A-Z0-9_]+\b/g) ?? []));
    expect([...readByCode].sort()).toEqual([...SETTING_NAMES].sort());
    for (const name of functions) expect(Object.keys(propsOf(file, name).environmentVariables).sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('passes the deployer\'s values through, with safe defaults only for optional settings', () => {
    const environment = propsOf(file, functions[0]).environmentVariables;
    for (const [name, value] of Object.entries(DEPLOYER_ENVIRONMENT)) if (name in environment) expect(environment[name]).toBe(value);
    expect(environment['TVM_JWT_SECRET']).toBe('');
    expect(environment['TVM_SIGNING_CREDENTIALS']).toBe('scoped');
  });

  it('refuses to render when a required setting is missing', async () => {
    const { TVM_BUCKET: _omitted, ...withoutBucket } = DEPLOYER_ENVIRONMENT;
    await expect(preview(template, withoutBucket)).rejects.toThrow(/TVM_BUCKET/);
  }, 60_000);

  it('holds no AccessKey', () => {
    expect(template).not.toMatch(/LTAI[A-Za-z0-9]{12,}|AccessKeySecret|accessKeySecret:/);
  });
});

describe('s.yaml, the event profile', () => {
  it('deploys each function\'s bundle as an event handler on the nodejs20 runtime', () => {
    for (const name of ['vend-token', 'sign-request']) {
      expect(propsOf('s.yaml', name)).toMatchObject({ runtime: 'nodejs20', handler: 'index.handler', code: `./dist/${name}` });
    }
  });

  it('sets nothing FC 3.0 ignores for nodejs20: no instance concurrency, which built-in runtimes do not have', () => {
    for (const name of ['vend-token', 'sign-request']) expect(propsOf('s.yaml', name)).not.toHaveProperty('instanceConcurrency');
  });

  it('serves each function on an anonymous HTTP trigger with the methods it answers', () => {
    expect(triggerOf('s.yaml', 'vend-token')).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'OPTIONS'] });
    expect(triggerOf('s.yaml', 'sign-request')).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'OPTIONS'] });
  });
});

describe('s.web.yaml, the web profile', () => {
  it('runs the web server bundle with the Node.js 20 that custom.debian10 ships, on the port FC forwards to', () => {
    const props = propsOf('s.web.yaml', 'web');
    expect(props).toMatchObject({ runtime: 'custom.debian10', code: './dist/web', customRuntimeConfig: { command: ['/var/fc/lang/nodejs20/bin/node'], args: ['/code/server.js'], port: 9000 } });
    // The server listens where FC forwards to; test/scripts/build.test.ts starts dist/web/server.js as FC does.
    expect(readFileSync(join(root, 'functions/web/server.ts'), 'utf8')).toMatch(/FC_SERVER_PORT.*9000/);
  });

  it('serves many requests at once per instance, from one credential cache', () => {
    expect(propsOf('s.web.yaml', 'web')['instanceConcurrency']).toBeGreaterThanOrEqual(20);
  });

  it('configures the functions exactly as s.yaml does: the same settings, the same defaults', () => {
    expect(propsOf('s.web.yaml', 'web').environmentVariables).toEqual(propsOf('s.yaml', 'vend-token').environmentVariables);
  });

  it('serves both functions on one anonymous HTTP trigger with every method either answers', () => {
    expect(triggerOf('s.web.yaml', 'web')).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'OPTIONS'] });
  });
});

describe('the schema catches in either profile what fc3 would not', () => {
  const MUTATIONS: [string, string, (text: string) => string][] = [
    ['a misspelled prop', 's.yaml', (text) => text.replace('environmentVariables: *environment\n      triggers', 'enviromentVariables: *environment\n      triggers')],
    ['memorySize not a multiple of 64', 's.yaml', (text) => text.replace('memorySize: 256', 'memorySize: 300')],
    ['an unknown runtime', 's.yaml', (text) => text.replace('runtime: nodejs20', 'runtime: nodejs22')],
    ['an authType fc3 does not accept', 's.yaml', (text) => text.replace('authType: anonymous', 'authType: none')],
    ['a method fc3 does not accept', 's.yaml', (text) => text.replace('methods: [GET, POST, OPTIONS]', 'methods: [GET, POST, CONNECT]')],
    ['instance concurrency on a nodejs20 event function', 's.yaml', (text) => text.replace('    timeout: 10\n', '    timeout: 10\n    instanceConcurrency: 20\n')],
    ['a web function without instance concurrency', 's.web.yaml', (text) => text.replace(/\n +instanceConcurrency: \d+/, '')],
    ['a web function without its start command', 's.web.yaml', (text) => text.replace(/\n +customRuntimeConfig:\n( {8}.*\n)+/, '\n')],
    ['a web function on a built-in runtime', 's.web.yaml', (text) => text.replace('runtime: custom.debian10', 'runtime: nodejs20')],
  ];
  /** Each mutation's resources, renamed `m<index>-<name>`, with the names they had. */
  const renamed = new Map<number, string[]>();
  let output: Rendered;

  // One `s preview` renders every mutated template (each run costs about half a second of CPU):
  // each is read as s reads YAML (anchors and merge keys resolved) and its resources join one
  // template under names of their own; `${...}` expressions are left for s to resolve. The
  // unmutated templates join it the same way (`u-<name>`), to show that this path renders what s
  // renders from the files themselves.
  beforeAll(async () => {
    const read = (text: string) => parseYaml(text, { merge: true }) as { resources: Record<string, unknown> };
    const resources: Record<string, unknown> = {};
    for (const { file } of PROFILES) for (const [name, resource] of Object.entries(read(templates[file] as string).resources)) resources[`u-${name}`] = resource;
    MUTATIONS.forEach(([, file, mutate], index) => {
      const template = templates[file] as string;
      const mutated = mutate(template);
      if (mutated === template) return; // the case's test reports it
      const { resources: own } = read(mutated);
      renamed.set(index, Object.keys(own));
      for (const [name, resource] of Object.entries(own)) resources[`m${index}-${name}`] = resource;
    });
    output = await preview(stringifyYaml({ ...read(templates['s.yaml'] as string), resources }));
  }, 90_000);

  it('renders the templates read this way exactly as s renders the files', () => {
    for (const { file, functions } of PROFILES) for (const name of functions) expect(output.resources[`u-${name}`]?.props).toEqual(propsOf(file, name));
  });

  it.each(MUTATIONS.map(([name, file], index) => [name, file, index] as const))('%s (%s)', (_case, file, index) => {
    const template = templates[file] as string;
    expect(MUTATIONS[index]?.[2](template)).not.toBe(template);
    const names = renamed.get(index) ?? [];
    expect(names.length).toBeGreaterThan(0);
    const props = names.map((name) => output.resources[`m${index}-${name}`]?.props);
    expect(props.every((value) => value !== undefined)).toBe(true);
    expect(props.every((value) => validateProps(value))).toBe(false);
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

  /** The vpcConfig a template shows in a comment, uncommented and filled in as a deployer would. */
  const commentedVpcConfig = (file: string): unknown => {
    const block = /^( *)# vpcConfig:\n(?:\1#   .*\n)+/m.exec(templates[file] as string);
    expect(block, `${file} shows a vpcConfig to uncomment`).not.toBeNull();
    const text = (block?.[0] ?? '').replace(/^ *# /gm, '').replace(/(vpc|vsw|sg)-\.\.\./g, '$1-bp1example');
    return (parseYaml(text) as { vpcConfig: unknown }).vpcConfig;
  };

  it.each([
    ['s.yaml', eventFunction],
    ['s.web.yaml', webFunction],
  ])('accepts the vpcConfig %s shows for the shared credential cache, once filled in', (file, props) => {
    const withVpc = { ...props, vpcConfig: commentedVpcConfig(file) };
    expect(validateProps(withVpc), JSON.stringify(validateProps.errors)).toBe(true);
  });

  const vpcConfig = { vpcId: 'vpc-bp1example', vSwitchIds: ['vsw-bp1example'], securityGroupId: 'sg-bp1example' };
  it.each([
    ['vpcConfig: auto, a new VPC that cannot hold the Redis already running', { ...eventFunction, vpcConfig: 'auto' }],
    ['a vpcConfig with a misspelled field', { ...eventFunction, vpcConfig: { vpcId: vpcConfig.vpcId, vswitchIds: vpcConfig.vSwitchIds, securityGroupId: vpcConfig.securityGroupId } }],
    ['a vpcConfig without vSwitches', { ...webFunction, vpcConfig: { ...vpcConfig, vSwitchIds: [] } }],
    ['a vpcConfig with the placeholder left in', { ...webFunction, vpcConfig: { ...vpcConfig, vpcId: 'vpc-...' } }],
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
