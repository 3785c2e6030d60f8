/**
 * A long upload across the expiry of short-lived credentials: ali-oss's refreshSTSToken pointed at
 * vend-token keeps it going; without it, OSS refuses the expired credentials. The clocks of STS, OSS
 * and vend-token are moved (each within the 15 minutes OSS and STS allow between clocks), so
 * 15-minute credentials expire in the middle of the upload.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVendTokenHandler } from '../../functions/vend-token/create-handler';
import { createDemoIssuer, type DemoIssuer } from '../../local/demo-issuer';
import { invokeOverHttp } from '../../local/fc-http-bridge';
import { listen } from '../../local/listen';
import { OssEmulator, credentialsFromSts } from '../../local/oss-emulator';
import { StsEmulator } from '../../local/sts-emulator';
import { loadConfig } from '../../shared/config/load-config';
import { appRolePermissionPolicy } from '../../shared/policy/role-policies';
import { type AliOssClient, aliOssFromVended } from '../helpers/ali-oss';
import { functionEnvironment } from '../helpers/function-environment';


const MINUTE = 60_000;
const offsets = { sts: 0, oss: 0, vendToken: 0 };
let sts: StsEmulator;
let oss: OssEmulator;
let issuer: DemoIssuer;
let vendTokenUrl: string;
let closeServer: () => Promise<void>;

beforeAll(async () => {
  sts = await StsEmulator.start({ now: () => Date.now() + offsets.sts });
  issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-test');
  const environment = functionEnvironment(sts, issuer, { TVM_DURATION_SECONDS: '900' });
  const config = loadConfig(environment);
  oss = await OssEmulator.start({
    buckets: ['photos'],
    credentials: credentialsFromSts(sts),
    rolePolicies: { [sts.defaultRoleArn]: appRolePermissionPolicy(config.scopes, 'photos', 'sub') },
    now: () => Date.now() + offsets.oss,
  });
  const handler = createVendTokenHandler({ ...environment, TVM_OSS_ENDPOINT: oss.url }, { logger: { request() {}, event() {} }, now: () => Date.now() + offsets.vendToken });
  const functionCredentials = sts.createFunctionCredentials();
  const server = createServer((request, response) => {
    invokeOverHttp(handler, request, response, '/', (requestId) => ({ requestId, credentials: functionCredentials })).catch(() => response.destroy());
  });
  await listen(server, '127.0.0.1', 0);
  vendTokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  closeServer = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await closeServer();
  await oss.close();
  await sts.close();
});

async function vend(token: string): Promise<Record<string, string>> {
  const response = await fetch(vendTokenUrl, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

/** Credentials that expire in 5 minutes (issued by an STS clock 10 minutes behind), and the client an app builds. */
async function appClient(subject: string, refresh: boolean): Promise<AliOssClient> {
  Object.assign(offsets, { sts: -10 * MINUTE, oss: 0, vendToken: 0 });
  const token = await issuer.issue(subject);
  const first = await vend(token);
  expect(Date.parse(first['Expiration'] ?? '')).toBeLessThan(Date.now() + 6 * MINUTE);
  offsets.sts = 0;
  return aliOssFromVended(first, {
    refreshSTSTokenInterval: refresh ? 0 : 3_600_000,
    ...(refresh
      ? {
          refreshSTSToken: async () => {
            const next = await vend(token);
            return { accessKeyId: next['AccessKeyId'], accessKeySecret: next['AccessKeySecret'], stsToken: next['SecurityToken'] };
          },
        }
      : {}),
  });
}

/** After the first part, 6 minutes pass for OSS and vend-token: the first credentials have expired. */
function expireAfterFirstPart(fraction: number): void {
  if (fraction > 0 && offsets.oss === 0) Object.assign(offsets, { oss: 6 * MINUTE, vendToken: 6 * MINUTE });
}

describe('a multipart upload across the expiry of its credentials', () => {
  it('completes when refreshSTSToken fetches new credentials from vend-token', async () => {
    const client = await appClient('alice', true);
    const file = Buffer.alloc(400 * 1024, 1);
    const result = await client.multipartUpload('users/alice/long.bin', file, { partSize: 100 * 1024, progress: expireAfterFirstPart });
    expect(result.res.status).toBe(200);
    expect(offsets.oss).toBe(6 * MINUTE);
    expect(oss.objects('photos').get('users/alice/long.bin')?.body.equals(file)).toBe(true);
  });

  it('fails with SecurityTokenExpired without refreshSTSToken, so the refresh is what kept the other going', async () => {
    const client = await appClient('bob', false);
    const upload = client.multipartUpload('users/bob/long.bin', Buffer.alloc(400 * 1024, 2), { partSize: 100 * 1024, progress: expireAfterFirstPart });
    const error = (await upload.then(() => undefined, (thrown: unknown) => thrown)) as { code?: string } | undefined;
    expect(error?.code).toBe('SecurityTokenExpired');
  });
});
