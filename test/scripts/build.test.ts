/** The deployable bundles: what s.yaml ships and what FC loads as `index.handler`; what s.web.yaml ships and FC starts as a server. */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoIssuer } from '../../local/demo-issuer';
import { freePort } from '../../local/listen';
import { StsEmulator } from '../../local/sts-emulator';
import { buildFunctions } from '../../scripts/build';
import { httpEvent } from '../helpers/fc-events';
import { type RedisServer, startRedisServer } from '../helpers/redis-server';

let outdir: string;
let built: Awaited<ReturnType<typeof buildFunctions>>;
let sts: StsEmulator;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'oss-tvm-build-'));
  built = await buildFunctions(outdir);
  sts = await StsEmulator.start();
});
afterAll(async () => {
  rmSync(outdir, { recursive: true, force: true });
  await sts.close();
});

describe('npm run build', () => {
  it('bundles vend-token into one self-contained CommonJS file', () => {
    const bundle = built.find((entry) => entry.name === 'vend-token');
    expect(bundle).toBeDefined();
    const source = readFileSync(bundle?.file ?? '', 'utf8');
    const requires = [...source.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
    // Besides Node's own modules, only the shared cache's file next to it, required when configured.
    expect(requires.filter((name) => !(name?.startsWith('node:') || ['crypto', 'http', 'https', 'util', 'zlib', 'buffer', 'stream', 'events'].includes(name ?? '')))).toEqual(['./shared-cache.js']);
    expect(source).not.toContain('ioredis');
    for (const entry of built) expect(readFileSync(entry.sharedCache.file, 'utf8')).toContain('connectRedisStore');
  });

  it('the shared cache: two fresh processes of the bundle share one AssumeRole through redis-server; without the setting, the file beside it is never read', async () => {
    const redis: RedisServer = await startRedisServer();
    try {
      const shared = { TVM_SHARED_CACHE_URL: redis.url, TVM_SHARED_CACHE_KEY: Buffer.alloc(32, 5).toString('base64') };
      const before = sts.assumeRoleCalls;
      const bundle = join(outdir, 'vend-token', 'index.js');
      const first = await invokeBundle(bundle, 'carol', shared);
      const second = await invokeBundle(bundle, 'carol', shared);
      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
      expect(JSON.parse(second.body)['AccessKeyId']).toBe(JSON.parse(first.body)['AccessKeyId']);
      expect(sts.assumeRoleCalls - before).toBe(1);
      // The bundle alone, without shared-cache.js beside it, serves as long as the setting is absent.
      const alone = mkdtempSync(join(tmpdir(), 'oss-tvm-alone-'));
      mkdirSync(join(alone, 'vend-token'));
      copyFileSync(bundle, join(alone, 'vend-token', 'index.js'));
      copyFileSync(join(outdir, 'vend-token', 'package.json'), join(alone, 'vend-token', 'package.json'));
      expect((await invokeBundle(join(alone, 'vend-token', 'index.js'), 'carol', {})).statusCode).toBe(200);
      rmSync(alone, { recursive: true, force: true });
    } finally {
      await redis.kill();
    }
  });

  it('produces a handler that a fresh node process loads and that answers an HTTP event', async () => {
    const response = await invokeBundle(join(outdir, 'vend-token', 'index.js'), 'alice', {});
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ StatusCode: 200, Prefix: 'users/alice/' });
  });

  it('produces a web server that a fresh node process starts on FC_SERVER_PORT, answering with the role credentials FC hands it', async () => {
    // Prepare: a free port, and the function's settings in the environment as FC passes them.
    const issuer = await createDemoIssuer('https://id.example.com/', 'app');
    const token = await issuer.issue('bob');
    const credentials = sts.createFunctionCredentials();
    const port = await freePort();
    const child = spawn(process.execPath, [join(outdir, 'web', 'server.js')], {
      env: {
        PATH: process.env['PATH'], FC_SERVER_PORT: String(port),
        TVM_ROLE_ARN: sts.defaultRoleArn, TVM_BUCKET: 'photos', TVM_REGION: 'cn-hangzhou', TVM_STS_ENDPOINT: sts.url,
        TVM_JWT_ISSUER: issuer.issuer, TVM_JWT_AUDIENCE: issuer.audience, TVM_JWT_PUBLIC_KEY: JSON.stringify(issuer.jwks.keys[0]),
      },
      stdio: 'ignore',
    });
    try {
      // Act: what FC's forwarder sends once the port accepts connections.
      const headers = { authorization: `Bearer ${token}`, 'x-fc-request-id': 'web-1', 'x-fc-access-key-id': credentials.accessKeyId, 'x-fc-access-key-secret': credentials.accessKeySecret, 'x-fc-security-token': credentials.securityToken };
      const response = await retryUntilListening(() => fetch(`http://127.0.0.1:${port}/vend-token`, { headers }));
      // Assess
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ StatusCode: 200, Prefix: 'users/bob/' });
      expect((await fetch(`http://127.0.0.1:${port}/sign-request`, { method: 'POST', headers })).status).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

/** Loads `bundle` in a fresh node process configured through the environment as FC does, and answers one vend-token event for `subject`. */
async function invokeBundle(bundle: string, subject: string, settings: Record<string, string>): Promise<{ statusCode: number; body: string }> {
  const issuer = await createDemoIssuer('https://id.example.com/', 'app');
  const token = await issuer.issue(subject);
  const credentials = sts.createFunctionCredentials();
  const script = `
    const { handler } = require(${JSON.stringify(bundle)});
    handler(Buffer.from(process.env.EVENT), { requestId: 'r1', credentials: JSON.parse(process.env.CREDENTIALS) })
      .then((response) => process.stdout.write('RESULT' + JSON.stringify(response)));`;
  // Run asynchronously so this process's emulator can answer.
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-e', script], {
      env: {
        PATH: process.env['PATH'],
        EVENT: httpEvent({ headers: { authorization: `Bearer ${token}` } }).toString(),
        CREDENTIALS: JSON.stringify(credentials),
        TVM_ROLE_ARN: sts.defaultRoleArn, TVM_BUCKET: 'photos', TVM_REGION: 'cn-hangzhou', TVM_STS_ENDPOINT: sts.url,
        TVM_JWT_ISSUER: issuer.issuer, TVM_JWT_AUDIENCE: issuer.audience, TVM_JWT_PUBLIC_KEY: JSON.stringify(issuer.jwks.keys[0]),
        ...settings,
      },
    }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
  return JSON.parse(output.slice(output.indexOf('RESULT') + 6)) as { statusCode: number; body: string };
}


async function retryUntilListening(act: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await act();
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
