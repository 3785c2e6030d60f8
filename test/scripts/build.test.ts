/** The deployable bundles: what s.yaml ships and what FC loads as `index.handler`. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { buildFunctions } from '../../scripts/build';
import { httpEvent } from '../helpers/fc-events';

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
    expect(requires.every((name) => name?.startsWith('node:') || ['crypto', 'http', 'https', 'util', 'zlib', 'buffer', 'stream', 'events'].includes(name ?? ''))).toBe(true);
  });

  it('produces a handler that a fresh node process loads and that answers an HTTP event', async () => {
    // Prepare: a fresh process with only the bundle, configured through the environment as FC does.
    const issuer = await createDemoIssuer('https://id.example.com/', 'app');
    const token = await issuer.issue('alice');
    const credentials = sts.createFunctionCredentials();
    const script = `
      const { handler } = require(${JSON.stringify(join(outdir, 'vend-token', 'index.js'))});
      handler(Buffer.from(process.env.EVENT), { requestId: 'r1', credentials: JSON.parse(process.env.CREDENTIALS) })
        .then((response) => process.stdout.write('RESULT' + JSON.stringify(response)));`;
    // Act: run it asynchronously so this process's emulator can answer.
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-e', script], {
        env: {
          PATH: process.env['PATH'],
          EVENT: httpEvent({ headers: { authorization: `Bearer ${token}` } }).toString(),
          CREDENTIALS: JSON.stringify(credentials),
          TVM_ROLE_ARN: sts.defaultRoleArn, TVM_BUCKET: 'photos', TVM_REGION: 'cn-hangzhou', TVM_STS_ENDPOINT: sts.url,
          TVM_JWT_ISSUER: issuer.issuer, TVM_JWT_AUDIENCE: issuer.audience, TVM_JWT_PUBLIC_KEY: JSON.stringify(issuer.jwks.keys[0]),
        },
      }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    // Assess
    const response = JSON.parse(output.slice(output.indexOf('RESULT') + 6)) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ StatusCode: 200, Prefix: 'users/alice/' });
  });
});
