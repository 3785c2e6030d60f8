/**
 * End to end on today's OSS: the unmodified ali-oss client signing V4 (`authorizationV4: true`) with
 * vend-token's credentials, against the sandbox's bucket, which accepts only V4 signatures like a
 * bucket created since 2025-09-01. Everything goes over real HTTP: the demo identity provider, vend-token
 * through the FC event adapter, the STS emulator, the OSS emulator.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { formEncode, rpcSignature } from '../../shared/sts/rpc-signature';
import { isoSeconds } from '../../shared/time';
import { type AliOssClient, aliOssFromVended, ossRefusal } from '../helpers/ali-oss';

const SCOPES = { user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete', 'list'] } };

let sandbox: Sandbox;
let bucket: string;

async function vend(subject: string): Promise<Record<string, unknown>> {
  const token = await sandbox.issuer.issue(subject);
  const response = await fetch(sandbox.functionUrls['vend-token'] ?? '', { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** The client an app builds from vend-token's answer, signing V4. */
async function v4ClientFor(subject: string): Promise<AliOssClient> {
  return aliOssFromVended(await vend(subject), { authorizationV4: true });
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, environment: { TVM_SCOPES: JSON.stringify(SCOPES), TVM_DEFAULT_SCOPE: 'user' }, logger: { request() {}, event() {} } });
  bucket = sandbox.settings['TVM_BUCKET'] ?? '';
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.oss?.reset());

describe('ali-oss with authorizationV4 and vend-token credentials, on a V4-only bucket', () => {
  it('puts, gets, heads, lists and deletes under the user’s prefix', async () => {
    // Prepare
    const alice = await v4ClientFor('alice');
    // Act
    await alice.put('users/alice/note.txt', Buffer.from('hello v4'), { mime: 'text/plain', meta: { owner: 'alice' } });
    const got = await alice.get('users/alice/note.txt');
    const head = await alice.head('users/alice/note.txt');
    const listed = await alice.listV2({ prefix: 'users/alice/' });
    const listedV1 = await alice.list({ prefix: 'users/alice/' });
    await alice.delete('users/alice/note.txt');
    // Assess
    expect(got.content.toString()).toBe('hello v4');
    expect(head.meta).toEqual({ owner: 'alice' });
    expect(listed.objects?.map((object) => object.name)).toEqual(['users/alice/note.txt']);
    expect(listedV1.objects?.map((object) => object.name)).toEqual(['users/alice/note.txt']);
    expect(sandbox.oss?.objects(bucket).size).toBe(0);
  });

  it('uploads 700 KB in multipart (256 KB parts) and reads back the same bytes', async () => {
    // Prepare
    const alice = await v4ClientFor('alice');
    const body = Buffer.alloc(700 * 1024);
    for (let index = 0; index < body.length; index += 1) body[index] = (index * 7) % 253;
    // Act
    const upload = await alice.multipartUpload('users/alice/big.bin', body, { partSize: 256 * 1024 });
    const got = await alice.get('users/alice/big.bin');
    // Assess
    expect(upload.res.status).toBe(200);
    expect(got.res.headers['x-oss-object-type']).toBe('Multipart');
    expect(got.content.equals(body)).toBe(true);
    await alice.delete('users/alice/big.bin');
  });

  it('makes a V4 presigned GET URL (signatureUrlV4) that works without credentials, and not once altered', async () => {
    // Prepare
    const credentials = await vend('alice');
    await aliOssFromVended(credentials, { authorizationV4: true }).put('users/alice/shared.txt', Buffer.from('shared v4'));
    // ali-oss signs a URL for a bucket host; the sandbox OSS reads the same request path style on 127.0.0.1.
    const signer = aliOssFromVended({ ...credentials, Endpoint: String(credentials['Endpoint']).replace('127.0.0.1', 'localhost') }, { authorizationV4: true });
    const url = (await signer.signatureUrlV4('GET', 300, undefined, 'users/alice/shared.txt')).replace('//localhost:', '//127.0.0.1:');
    // Act
    const fetched = await fetch(url);
    const altered = await fetch(url.replace('shared.txt', 'shared2.txt'));
    // Assess
    expect(url).toContain('x-oss-signature-version=OSS4-HMAC-SHA256');
    expect(url).toContain('x-oss-security-token=');
    expect([fetched.status, await fetched.text()]).toEqual([200, 'shared v4']);
    expect(altered.status).toBe(403);
    expect(await altered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('is denied another user’s objects, a sibling prefix, the bucket root and a listing of all users', async () => {
    // Prepare
    const alice = await v4ClientFor('alice');
    const bob = await v4ClientFor('bob');
    await bob.put('users/bob/private.txt', Buffer.from('bob'));
    // Act
    const refusals = await Promise.all([
      ossRefusal(alice.get('users/bob/private.txt')),
      ossRefusal(alice.put('users/bob/planted.txt', Buffer.from('x'))),
      ossRefusal(alice.delete('users/bob/private.txt')),
      ossRefusal(alice.put('users/alice2/x.txt', Buffer.from('x'))),
      ossRefusal(alice.put('root.txt', Buffer.from('x'))),
      ossRefusal(alice.listV2({ prefix: 'users/' })),
    ]);
    // Assess
    expect(refusals.map(({ status, code }) => `${status} ${code}`)).toEqual(Array(6).fill('403 AccessDenied'));
    expect([...(sandbox.oss?.objects(bucket).keys() ?? [])]).toEqual(['users/bob/private.txt']);
    await bob.delete('users/bob/private.txt');
  });

  it('is refused the same requests signed V1, with EC 0002-00000080', async () => {
    // Prepare
    const v1 = aliOssFromVended(await vend('alice'));
    // Act
    const refused = await ossRefusal(v1.put('users/alice/v1.txt', Buffer.from('v1')));
    // Assess
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0002-00000080' });
  });

  it('is refused tagging and public ACLs on upload: the app role grants neither', async () => {
    // Prepare
    const alice = await v4ClientFor('alice');
    // Act
    const tagged = await ossRefusal(alice.put('users/alice/tagged.txt', Buffer.from('x'), { headers: { 'x-oss-tagging': 'a=1' } }));
    const publicRead = await ossRefusal(alice.put('users/alice/public.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } }));
    // Assess
    expect(tagged).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0003-00000905' });
    expect(publicRead).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(sandbox.oss?.objects(bucket).size).toBe(0);
  });
});

describe('vend-token credentials at STS', () => {
  it('cannot assume the app role again: only the function role is trusted (403 NoPermission)', async () => {
    // Prepare: an app holding vend-token's credentials calls AssumeRole with them
    const credentials = await vend('alice');
    const parameters: Record<string, string> = {
      Action: 'AssumeRole',
      Format: 'JSON',
      Version: '2015-04-01',
      AccessKeyId: String(credentials['AccessKeyId']),
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: isoSeconds(new Date()),
      SecurityToken: String(credentials['SecurityToken']),
      RoleArn: sandbox.settings['TVM_ROLE_ARN'] ?? '',
      RoleSessionName: 'escalation',
    };
    const signed = { ...parameters, Signature: rpcSignature('POST', parameters, String(credentials['AccessKeySecret'])) };
    // Act
    const response = await fetch(sandbox.sts?.url ?? '', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formEncode(signed) });
    // Assess
    expect(response.status).toBe(403);
    expect(((await response.json()) as { Code: string }).Code).toBe('NoPermission');
  });
});
