/**
 * The OSS emulator's V4-only buckets: a bucket created since 2025-09-01 refuses every V1 signature with
 * 403 AccessDenied, EC 0002-00000080, before it looks at anything else; a legacy bucket accepts both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OssEmulator } from '../../local/oss-emulator';
import type { CredentialRecord } from '../../local/oss-emulator';
import { type AliOssKeys, aliOssClient, ossRefusal } from '../helpers/ali-oss';

const NEW_BUCKET = 'bucket-created-today';
const LEGACY_BUCKET = 'bucket-created-in-2024';
const ROLE_ARN = 'acs:ram::1234567890123456:role/oss-tvm-app';
const ROLE_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] }] };
const KEYS: Required<AliOssKeys> = { accessKeyId: 'STS.v4only', accessKeySecret: 'secret', securityToken: 'token' };
const V1_REFUSAL = {
  status: 403,
  code: 'AccessDenied',
  ec: '0002-00000080',
  message: 'OSS no longer supports V1 signatures for this bucket: sign the request with V4 (OSS4-HMAC-SHA256).',
};

let oss: OssEmulator;

beforeAll(async () => {
  const record: CredentialRecord = { accessKeySecret: KEYS.accessKeySecret, securityToken: KEYS.securityToken, expiration: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), roleArn: ROLE_ARN };
  oss = await OssEmulator.start({
    buckets: [NEW_BUCKET, LEGACY_BUCKET],
    v4OnlyBuckets: [NEW_BUCKET],
    credentials: (id) => (id === KEYS.accessKeyId ? record : undefined),
    rolePolicies: { [ROLE_ARN]: ROLE_POLICY },
  });
});
afterAll(() => oss.close());

/** The XML error document of a refused response, as `{status, code, ec, message}`, and its x-oss-ec header. */
async function refusalOf(response: Response): Promise<{ status: number; code: string; ec: string | undefined; message: string; header: string | null }> {
  const text = await response.text();
  const element = (name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  return { status: response.status, code: element('Code') ?? '', ec: element('EC'), message: element('Message') ?? '', header: response.headers.get('x-oss-ec') };
}

describe('OSS emulator: a V4-only bucket', () => {
  it('refuses a V1 Authorization header with 403 AccessDenied, EC 0002-00000080, and stores nothing', async () => {
    // Prepare
    const v1 = aliOssClient(oss.url, NEW_BUCKET, KEYS);
    // Act
    const put = await ossRefusal(v1.put('users/alice/v1.txt', Buffer.from('v1')));
    const get = await ossRefusal(v1.get('users/alice/v1.txt'));
    // Assess
    expect(put).toEqual(V1_REFUSAL);
    expect(get).toEqual(V1_REFUSAL);
    expect(oss.objects(NEW_BUCKET).size).toBe(0);
  });

  it('refuses a V1 presigned URL with the same error and the x-oss-ec header', async () => {
    // Prepare: ali-oss signs the URL for the legacy bucket's name; only the bucket in the path changes.
    await aliOssClient(oss.url, LEGACY_BUCKET, KEYS).put('users/alice/shared.txt', Buffer.from('legacy'));
    const url = aliOssClient(oss.url.replace('127.0.0.1', 'localhost'), NEW_BUCKET, KEYS).signatureUrl('users/alice/shared.txt', { expires: 300 }).replace('//localhost:', '//127.0.0.1:');
    // Act
    const refused = await refusalOf(await fetch(url));
    // Assess
    expect(url).toContain('OSSAccessKeyId=');
    expect(refused).toEqual({ ...V1_REFUSAL, header: '0002-00000080' });
  });

  it('refuses a V1 URL by its signature version before checking its parameters (OSS’s own example has Expires=abc)', async () => {
    // Act
    const refused = await refusalOf(await fetch(`${oss.url}/${NEW_BUCKET}/users/alice/x.txt?OSSAccessKeyId=nobody&Expires=abc&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv`));
    const sameOnLegacy = await refusalOf(await fetch(`${oss.url}/${LEGACY_BUCKET}/users/alice/x.txt?OSSAccessKeyId=nobody&Expires=abc&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv`));
    // Assess
    expect(refused).toEqual({ ...V1_REFUSAL, header: '0002-00000080' });
    expect(sameOnLegacy.code).toBe('InvalidAccessKeyId');
  });

  it('accepts V4 headers and a V4 presigned URL (signatureUrlV4)', async () => {
    // Prepare
    const v4 = aliOssClient(oss.url, NEW_BUCKET, KEYS, { authorizationV4: true });
    // Act
    await v4.put('users/alice/v4.txt', Buffer.from('v4'));
    const got = await v4.get('users/alice/v4.txt');
    const signer = aliOssClient(oss.url.replace('127.0.0.1', 'localhost'), NEW_BUCKET, KEYS, { authorizationV4: true });
    const url = (await signer.signatureUrlV4('GET', 300, undefined, 'users/alice/v4.txt')).replace('//localhost:', '//127.0.0.1:');
    const presigned = await fetch(url);
    // Assess
    expect(got.content.toString()).toBe('v4');
    expect([presigned.status, await presigned.text()]).toEqual([200, 'v4']);
  });
});

describe('OSS emulator: a legacy bucket', () => {
  it('accepts V1 headers, V1 presigned URLs and V4 headers', async () => {
    // Prepare
    const v1 = aliOssClient(oss.url, LEGACY_BUCKET, KEYS);
    const v4 = aliOssClient(oss.url, LEGACY_BUCKET, KEYS, { authorizationV4: true });
    // Act
    await v1.put('users/alice/both.txt', Buffer.from('both'));
    const viaV4 = await v4.get('users/alice/both.txt');
    const url = aliOssClient(oss.url.replace('127.0.0.1', 'localhost'), LEGACY_BUCKET, KEYS).signatureUrl('users/alice/both.txt', { expires: 300 }).replace('//localhost:', '//127.0.0.1:');
    const presigned = await fetch(url);
    // Assess
    expect(viaV4.content.toString()).toBe('both');
    expect([presigned.status, await presigned.text()]).toEqual([200, 'both']);
  });
});

describe('OssEmulator.start', () => {
  it('refuses a V4-only bucket that is not one of its buckets', async () => {
    // Act / Assess
    await expect(OssEmulator.start({ buckets: ['a'], v4OnlyBuckets: ['b'], credentials: () => undefined, rolePolicies: {} })).rejects.toThrow('v4OnlyBuckets names a bucket that is not in buckets: b');
  });
});
