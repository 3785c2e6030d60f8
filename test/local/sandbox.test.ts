/** The offline sandbox in process: startSandbox, its functions, its bucket, its own pages. (`npm start` itself: start.test.ts.) */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readyBanner } from '../../local/banner';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { aliOssFromVended, ossRefusal } from '../helpers/ali-oss';

describe('startSandbox', () => {
  it('serves the functions over HTTP, with tokens from its demo identity provider and its JWKS', async () => {
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const token = (await (await fetch(`${sandbox.url}/issuer/token?sub=zoe`)).text()).trim();
      const vended = await fetch(sandbox.functionUrls['vend-token'] ?? '', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"scope":"user"}' });
      expect(vended.status).toBe(200);
      expect(vended.headers.get('cache-control')).toBe('no-store');
      expect(((await vended.json()) as { Prefix: string }).Prefix).toBe('users/zoe/');
      const refused = await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}x` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(sandbox.sts?.successfulCalls).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});

describe('startSandbox: the web profile\'s two functions', () => {
  it('share one credential cache: a user\'s vend-token credentials are the ones sign-request\'s signing session hands out, for one AssumeRole', async () => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const headers = { Authorization: `Bearer ${await sandbox.issuer.issue('zoe')}` };
      // Act
      const vended = (await (await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers })).json()) as { AccessKeyId: string; SecurityToken: string };
      const session = (await (await fetch(sandbox.functionUrls['sign-request'] ?? '', { headers })).json()) as { AccessKeyId: string; SecurityToken: string };
      // Assess
      expect(session.AccessKeyId).toBe(vended.AccessKeyId);
      expect(session.SecurityToken).toBe(vended.SecurityToken);
      expect(sandbox.sts?.successfulCalls).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});

describe('startSandbox: a repeated query parameter', () => {
  it('reaches the functions joined by commas, as from FC 3.0, so ?scope=user&scope=user is 400 MalformedRequest in both', async () => {
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const headers = { Authorization: `Bearer ${await sandbox.issuer.issue('zoe')}` };
      const vend = await fetch(`${sandbox.functionUrls['vend-token']}?scope=user&scope=user`, { headers });
      const sign = await fetch(`${sandbox.functionUrls['sign-request']}?scope=user&scope=user`, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: `PUT\n\n\n${new Date().toUTCString()}\n/${sandbox.settings['TVM_BUCKET']}/users/zoe/a.txt` });
      for (const response of [vend, sign]) {
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ ErrorCode: 'MalformedRequest' });
      }
    } finally {
      await sandbox.close();
    }
  });
});

describe('startSandbox: sign-request', () => {
  it('answers at functionUrls["sign-request"], signing with credentials its STS emulator issued', async () => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const url = sandbox.functionUrls['sign-request'] ?? '';
      expect(url).toBe(`${sandbox.url}/sign-request`);
      const token = (await (await fetch(`${sandbox.url}/issuer/token?sub=zoe`)).text()).trim();
      const bucket = sandbox.settings['TVM_BUCKET'];
      const date = new Date().toUTCString();
      const content = `PUT\n\ntext/plain\n${date}\n/${bucket}/users/zoe/hello.txt`;
      const headers = { Authorization: `Bearer ${token}` };

      // Act
      const text = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: content });
      const json = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ stringToSign: content }) });
      const refused = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: content.replace('users/zoe/', 'users/bob/') });
      const wrongMethod = await fetch(url, { method: 'DELETE', headers });

      // Assess
      expect(text.status).toBe(200);
      const authorization = await text.text();
      expect(authorization).toMatch(/^OSS STS\.[^:]+:[A-Za-z0-9+/]+=*$/);
      const securityToken = text.headers.get('x-oss-security-token') ?? '';
      const accessKeyId = authorization.slice('OSS '.length, authorization.indexOf(':'));
      const issued = sandbox.sts?.findIssued(accessKeyId);
      expect(issued?.issued.securityToken).toBe(securityToken);
      const signed = `PUT\n\ntext/plain\n${date}\nx-oss-security-token:${securityToken}\n/${bucket}/users/zoe/hello.txt`;
      expect(authorization).toBe(`OSS ${accessKeyId}:${createHmac('sha1', issued?.issued.accessKeySecret ?? '').update(signed).digest('base64')}`);
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({ StatusCode: 200, Authorization: authorization, SecurityToken: securityToken, SignedString: signed });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { ErrorCode: string }).ErrorCode).toBe('KeyNotAllowed');
      expect(wrongMethod.status).toBe(405);
      expect(sandbox.sts?.successfulCalls).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});

describe('startSandbox: the sandbox bucket', () => {
  async function vended(sandbox: Sandbox): Promise<Record<string, unknown>> {
    const token = await sandbox.issuer.issue('zoe');
    const response = await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  it('accepts only V4 signatures by default, like a bucket created today: V1 is refused with EC 0002-00000080', async () => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment: {}, logger: { request: () => {}, event: () => {} } });
    try {
      const credentials = await vended(sandbox);
      // Act
      const v1 = await ossRefusal(aliOssFromVended(credentials).put('users/zoe/v1.txt', Buffer.from('v1')));
      await aliOssFromVended(credentials, { authorizationV4: true }).put('users/zoe/v4.txt', Buffer.from('v4'));
      // Assess
      expect(sandbox.legacyV1).toBe(false);
      expect(v1).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0002-00000080' });
      expect([...(sandbox.oss?.objects(sandbox.settings['TVM_BUCKET'] ?? '').keys() ?? [])]).toEqual(['users/zoe/v4.txt']);
    } finally {
      await sandbox.close();
    }
  });

  it.each([
    ['legacyV1: true', { legacyV1: true }, {}],
    ['SANDBOX_LEGACY_V1=1', {}, { SANDBOX_LEGACY_V1: '1' }],
  ])('is a legacy bucket that accepts V1 and V4 with %s', async (_name, options, environment) => {
    // Prepare
    const sandbox = await startSandbox({ port: 0, environment, ...options, logger: { request: () => {}, event: () => {} } });
    try {
      const credentials = await vended(sandbox);
      // Act
      await aliOssFromVended(credentials).put('users/zoe/v1.txt', Buffer.from('v1'));
      const got = await aliOssFromVended(credentials, { authorizationV4: true }).get('users/zoe/v1.txt');
      // Assess
      expect(sandbox.legacyV1).toBe(true);
      expect(got.content.toString()).toBe('v1');
    } finally {
      await sandbox.close();
    }
  });
});

describe('readyBanner with real STS', () => {
  it('sends the example upload to the real bucket, virtual-host style, saying V1 needs a bucket from before 2025-09-01', async () => {
    const environment = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-example', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'example-secret', TVM_ROLE_ARN: 'acs:ram::1234567890123456:role/oss-tvm-app', TVM_BUCKET: 'photos', TVM_REGION: 'cn-shanghai' };
    const sandbox = await startSandbox({ port: 0, environment, logger: { request: () => {}, event: () => {} } });
    try {
      expect(sandbox.sts).toBeUndefined();
      const banner = readyBanner(sandbox, 'header.payload.signature');
      expect(banner).toContain('(real STS (credentials from ALIBABA_CLOUD_* variables))');
      expect(banner).toContain("'https://photos.oss-cn-shanghai.aliyuncs.com/users/alice/hello.txt'");
      expect(banner).toContain('bucket: one created before 2025-09-01');
      expect(banner).not.toContain('example-secret');
    } finally {
      await sandbox.close();
    }
  });
});
