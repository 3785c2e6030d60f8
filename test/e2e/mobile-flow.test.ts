/**
 * The whole mobile flow offline, as the classic SDKs take it with V1 signatures: vend-token's
 * credentials in the unmodified ali-oss client (V1) against the sandbox OSS, the SDKs' V1
 * self-signing path through sign-request, and `npm run smoke`. V1 works only on a bucket created
 * before 2025-09-01, so the sandbox runs a legacy bucket here (`legacyV1`). The sandbox serves the
 * functions through the FC event adapter here, and through the web server adapter in
 * mobile-flow.web.test.ts.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { adapterName } from '../helpers/adapters';
import { type AliOssClient, aliOssFromVended } from '../helpers/ali-oss';


const SCOPES = {
  user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete', 'list'] },
  reader: { prefix: 'users/${sub}/', actions: ['read'] },
};

let sandbox: Sandbox;
let bucket: string;
let ossUrl: string;

async function vend(subject: string, scope = 'user'): Promise<Record<string, string>> {
  const token = await sandbox.issuer.issue(subject);
  const response = await fetch(`${sandbox.functionUrls['vend-token']}?scope=${scope}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

/** The ali-oss client an app builds from vend-token's answer (path style, as against an IP endpoint), signing V1. */
function clientFor(credentials: Record<string, string>): AliOssClient {
  expect(credentials['Endpoint']).toBe(ossUrl);
  return aliOssFromVended(credentials);
}

async function denied(operation: Promise<unknown>): Promise<string> {
  const error = (await operation.then(() => undefined, (thrown: unknown) => thrown)) as { status?: number; code?: string } | undefined;
  expect(error, 'the operation should have been refused').toBeDefined();
  expect(error?.status).toBe(403);
  return error?.code ?? '';
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, legacyV1: true, adapter: adapterName(), environment: { TVM_SCOPES: JSON.stringify(SCOPES), TVM_DEFAULT_SCOPE: 'user' }, logger: { request() {}, event() {} } });
  bucket = sandbox.settings['TVM_BUCKET'] ?? '';
  ossUrl = sandbox.oss?.url ?? '';
});
afterAll(() => sandbox.close());

describe('vend-token credentials in ali-oss, against the sandbox OSS', () => {
  it('put, get, head, multipart upload, list and delete succeed under the user’s prefix', async () => {
    const oss = clientFor(await vend('alice'));
    await oss.put('users/alice/note.txt', Buffer.from('hello'));
    expect((await oss.get('users/alice/note.txt')).content.toString()).toBe('hello');
    expect((await oss.head('users/alice/note.txt')).res.status).toBe(200);
    const big = Buffer.alloc(700 * 1024, 7);
    const upload = await oss.multipartUpload('users/alice/big.bin', big, { partSize: 256 * 1024 });
    expect(upload.res.status).toBe(200);
    expect((await oss.get('users/alice/big.bin')).content.equals(big)).toBe(true);
    const listed = await oss.list({ prefix: 'users/alice/', 'max-keys': 100 });
    expect(listed.objects?.map((object) => object.name).sort()).toEqual(['users/alice/big.bin', 'users/alice/note.txt']);
    await oss.delete('users/alice/note.txt');
    await oss.delete('users/alice/big.bin');
    expect(sandbox.oss?.objects(bucket).size).toBe(0);
  });

  it('is denied on another user’s prefix, a sibling prefix and the bucket root', async () => {
    const oss = clientFor(await vend('alice'));
    const bob = clientFor(await vend('bob'));
    await bob.put('users/bob/private.txt', Buffer.from('bob'));
    expect(await denied(oss.get('users/bob/private.txt'))).toBe('AccessDenied');
    expect(await denied(oss.put('users/bob/planted.txt', Buffer.from('x')))).toBe('AccessDenied');
    expect(await denied(oss.put('users/alice2/x.txt', Buffer.from('x')))).toBe('AccessDenied');
    expect(await denied(oss.put('root.txt', Buffer.from('x')))).toBe('AccessDenied');
    expect(await denied(oss.list({ prefix: 'users/', 'max-keys': 10 }))).toBe('AccessDenied');
    await bob.delete('users/bob/private.txt');
  });

  it('cannot put with a read-only scope', async () => {
    const reader = clientFor(await vend('carol', 'reader'));
    expect(await denied(reader.put('users/carol/a.txt', Buffer.from('x')))).toBe('AccessDenied');
  });
});

describe('the self-signing path, as the Android SDK takes it', () => {
  const rfc1123 = () => new Date().toUTCString();

  async function signed(content: string): Promise<{ authorization: string; token: string }> {
    const token = await sandbox.issuer.issue('alice');
    const response = await fetch(sandbox.functionUrls['sign-request'] ?? '', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' }, body: content });
    expect(response.status, await response.clone().text()).toBe(200);
    return { authorization: await response.text(), token: response.headers.get('x-oss-security-token') ?? '' };
  }

  it('sends a request with the returned Authorization and token header, which OSS accepts; a changed key, verb or header is refused', async () => {
    const date = rfc1123();
    const { authorization, token } = await signed(`PUT\n\ntext/plain\n${date}\nx-oss-meta-owner:alice\n/${bucket}/users/alice/self.txt`);
    const send = (key: string, method: string, owner: string) =>
      fetch(`${ossUrl}/${bucket}/${key}`, { method, headers: { Date: date, 'Content-Type': 'text/plain', Authorization: authorization, 'x-oss-security-token': token, 'x-oss-meta-owner': owner }, body: method === 'PUT' ? 'signed' : undefined });
    expect((await send('users/alice/self.txt', 'PUT', 'alice')).status).toBe(200);
    for (const [key, method, owner] of [['users/alice/other.txt', 'PUT', 'alice'], ['users/alice/self.txt', 'POST', 'alice'], ['users/alice/self.txt', 'PUT', 'mallory']] as const) {
      const refused = await send(key, method, owner);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    expect(sandbox.oss?.objects(bucket).get('users/alice/self.txt')?.body.toString()).toBe('signed');
  });

  it('makes a presigned URL that works once the security-token parameter is appended', async () => {
    const oss = clientFor(await vend('alice'));
    await oss.put('users/alice/shared.txt', Buffer.from('presigned'));
    const expires = Math.floor(Date.now() / 1000) + 300;
    const { authorization, token } = await signed(`GET\n\n\n${expires}\n/${bucket}/users/alice/shared.txt`);
    const [accessKeyId, signature] = authorization.slice('OSS '.length).split(':');
    const url = `${ossUrl}/${bucket}/users/alice/shared.txt?OSSAccessKeyId=${encodeURIComponent(accessKeyId ?? '')}&Expires=${expires}&Signature=${encodeURIComponent(signature ?? '')}`;
    expect((await fetch(url)).status).toBe(403);
    const response = await fetch(`${url}&security-token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('presigned');
  });
});

describe('npm run smoke against the sandbox', () => {
  it('passes every step and exits 0', async () => {
    const token = await sandbox.issuer.issue('dave');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', '--vend-token-url', sandbox.functionUrls['vend-token'] ?? '', '--sign-request-url', sandbox.functionUrls['sign-request'] ?? '', '--oss-endpoint', ossUrl], {
      env: { ...process.env, TVM_SMOKE_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(output.trim().split('\n').map((line) => line.slice(0, 2))).toEqual(Array(10).fill('✓ '));
    expect(code, output).toBe(0);
    expect(output).not.toContain(token);
  }, 30_000);
});
