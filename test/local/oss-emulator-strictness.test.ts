/**
 * The OSS emulator is as strict as OSS where it matters: a header or parameter that asks OSS for more
 * than the plain operation needs the RAM action OSS requires for it, and what the emulator does not
 * model is refused with 501 instead of being served as a plain operation (oss-emulator/features.ts
 * cites the documents).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OssEmulator } from '../../local/oss-emulator';
import type { CredentialRecord } from '../../local/oss-emulator';
import { type AliOssClient, type AliOssKeys, aliOssClient, ossRefusal } from '../helpers/ali-oss';

const BUCKET = 'strict-bucket';
const PLAIN_ROLE = 'acs:ram::1234567890123456:role/plain';
const BROAD_ROLE = 'acs:ram::1234567890123456:role/broad';
const PLAIN_ACTIONS = ['oss:PutObject', 'oss:GetObject', 'oss:DeleteObject'];
const policy = (actions: string[]): object => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: [`acs:oss:*:*:${BUCKET}/*`] }] });

let oss: OssEmulator;
const credentials = new Map<string, CredentialRecord>();

function keysFor(roleArn: string, sessionPolicy?: object): Required<AliOssKeys> {
  const keys = { accessKeyId: `STS.${credentials.size + 1}`, accessKeySecret: `secret-${credentials.size + 1}`, securityToken: `token-${credentials.size + 1}` };
  const expiration = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  credentials.set(keys.accessKeyId, { accessKeySecret: keys.accessKeySecret, securityToken: keys.securityToken, expiration, roleArn, ...(sessionPolicy ? { sessionPolicy: JSON.stringify(sessionPolicy) } : {}) });
  return keys;
}

/** A V4 ali-oss client whose role allows only put, get and delete. */
const plain = (): AliOssClient => aliOssClient(oss.url, BUCKET, keysFor(PLAIN_ROLE), { authorizationV4: true });
/** A V4 ali-oss client whose role also allows tagging, object ACLs and versions, narrowed by `sessionActions` if given. */
const broad = (sessionActions?: string[]): AliOssClient => aliOssClient(oss.url, BUCKET, keysFor(BROAD_ROLE, sessionActions && policy(sessionActions)), { authorizationV4: true });

beforeAll(async () => {
  oss = await OssEmulator.start({
    buckets: [BUCKET],
    v4OnlyBuckets: [BUCKET],
    credentials: (id) => credentials.get(id),
    rolePolicies: {
      [PLAIN_ROLE]: policy(PLAIN_ACTIONS),
      [BROAD_ROLE]: policy([...PLAIN_ACTIONS, 'oss:PutObjectTagging', 'oss:PutObjectAcl', 'oss:GetObjectVersion']),
    },
  });
});
afterAll(() => oss.close());
beforeEach(() => oss.reset());

describe('OSS emulator: PutObject with x-oss-tagging', () => {
  it('is denied without oss:PutObjectTagging (403 AccessDenied, EC 0003-00000905) and stores nothing', async () => {
    // Act
    const refused = await ossRefusal(plain().put('users/alice/tagged.txt', Buffer.from('x'), { headers: { 'x-oss-tagging': 'project=a' } }));
    // Assess
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0003-00000905' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('is denied when the session policy leaves oss:PutObjectTagging out, though the role allows it', async () => {
    // Act
    const refused = await ossRefusal(broad(PLAIN_ACTIONS).put('users/alice/tagged.txt', Buffer.from('x'), { headers: { 'x-oss-tagging': 'project=a' } }));
    // Assess
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('succeeds with oss:PutObject and oss:PutObjectTagging', async () => {
    // Act
    await broad().put('users/alice/tagged.txt', Buffer.from('x'), { headers: { 'x-oss-tagging': 'project=a' } });
    // Assess
    expect(oss.objects(BUCKET).has('users/alice/tagged.txt')).toBe(true);
  });

  it('on InitiateMultipartUpload is denied without oss:PutObjectTagging too', async () => {
    // Act
    const refused = await ossRefusal(plain().multipartUpload('users/alice/big.bin', Buffer.alloc(300 * 1024), { partSize: 100 * 1024, headers: { 'x-oss-tagging': 'project=a' } } as never));
    // Assess
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0003-00000905' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });
});

describe('OSS emulator: PutObject with x-oss-object-acl', () => {
  it('is denied without oss:PutObjectAcl and stores nothing', async () => {
    // Act
    const refused = await ossRefusal(plain().put('users/alice/public.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } }));
    // Assess
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('succeeds with oss:PutObject and oss:PutObjectAcl', async () => {
    // Act
    await broad().put('users/alice/public.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } });
    // Assess
    expect(oss.objects(BUCKET).has('users/alice/public.txt')).toBe(true);
  });

  it('refuses a value that is not an object ACL with 400 InvalidArgument', async () => {
    // Act
    const refused = await ossRefusal(broad().put('users/alice/odd.txt', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'everyone' } }));
    // Assess
    expect(refused).toMatchObject({ status: 400, code: 'InvalidArgument' });
  });
});

describe('OSS emulator: GetObject with versionId', () => {
  it('is denied without oss:GetObjectVersion', async () => {
    // Prepare
    const client = plain();
    await client.put('users/alice/v.txt', Buffer.from('v'));
    // Act
    const refused = await ossRefusal(client.get('users/alice/v.txt', null, { versionId: 'null' }));
    // Assess
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('serves version "null" (the only version in a bucket without versioning) and answers 404 NoSuchVersion for any other', async () => {
    // Prepare
    const client = broad();
    await client.put('users/alice/v.txt', Buffer.from('v'));
    // Act
    const current = await client.get('users/alice/v.txt', null, { versionId: 'null' });
    const other = await ossRefusal(client.get('users/alice/v.txt', null, { versionId: 'CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0' }));
    // Assess
    expect(current.content.toString()).toBe('v');
    expect(other).toMatchObject({ status: 404, code: 'NoSuchVersion' });
  });

  it('on DeleteObject is not modelled: 501, and the object stays', async () => {
    // Prepare
    const client = broad();
    await client.put('users/alice/v.txt', Buffer.from('v'));
    // Act
    const refused = await ossRefusal(client.delete('users/alice/v.txt', { versionId: 'null' }));
    // Assess
    expect(refused).toMatchObject({ status: 501, code: 'NotImplemented' });
    expect(oss.objects(BUCKET).has('users/alice/v.txt')).toBe(true);
  });
});

describe('OSS emulator: what it does not model', () => {
  it('answers GetObject with x-oss-process 501, never the unprocessed bytes, once the caller may read', async () => {
    // Prepare
    const client = plain();
    await client.put('users/alice/photo.jpg', Buffer.from('not really a jpeg'));
    // Act
    const processed = await ossRefusal(client.get('users/alice/photo.jpg', null, { process: 'image/resize,w_100' }));
    const alicesOnly = aliOssClient(oss.url, BUCKET, keysFor(PLAIN_ROLE, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${BUCKET}/users/alice/*`] }] }), { authorizationV4: true });
    const elsewhere = await ossRefusal(alicesOnly.get('users/bob/photo.jpg', null, { process: 'image/resize,w_100' }));
    // Assess
    expect(processed).toMatchObject({ status: 501, code: 'NotImplemented' });
    expect(processed.message).toContain('x-oss-process');
    expect(elsewhere).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('answers PutObject with an upload callback 501 and stores nothing', async () => {
    // Act
    const refused = await ossRefusal(plain().put('users/alice/cb.txt', Buffer.from('x'), { callback: { url: 'https://app.example/callback', body: 'bucket=${bucket}' } } as never));
    // Assess
    expect(refused).toMatchObject({ status: 501, code: 'NotImplemented' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it.each([
    ['PutSymlink', (client: AliOssClient) => client.putSymlink('users/alice/link', 'users/alice/target.txt')],
    ['GetSymlink', (client: AliOssClient) => client.getSymlink('users/alice/link')],
    ['PutObjectACL', (client: AliOssClient) => client.putACL('users/alice/target.txt', 'public-read')],
  ])('answers %s 501 and changes nothing', async (_name, act) => {
    // Prepare
    const client = broad();
    await client.put('users/alice/target.txt', Buffer.from('target'));
    // Act
    const refused = await ossRefusal(act(client));
    // Assess
    expect(refused).toMatchObject({ status: 501, code: 'NotImplemented' });
    expect([...oss.objects(BUCKET).keys()]).toEqual(['users/alice/target.txt']);
  });
});
