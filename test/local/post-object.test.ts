/**
 * The OSS emulator's PostObject: forms built here by hand (FormData, as a browser sends them) and
 * signed with ali-oss's own `signPostObjectPolicyV4` and `calculatePostSignature`, an oracle
 * written apart from the emulator; each violated condition refused with OSS's code, message and EC.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CredentialRecord, OssEmulator } from '../../local/oss-emulator';
import { OssError } from '../../local/oss-emulator/errors';
import { decodePolicy } from '../../local/oss-emulator/post-object/policy';

interface OssPrototype {
  signPostObjectPolicyV4(this: { options: object }, policy: object, date: Date): string;
  calculatePostSignature(this: { options: object }, policy: object): { OSSAccessKeyId: string; Signature: string; policy: string };
}
const OSS = (createRequire(import.meta.url)('ali-oss') as { prototype: OssPrototype }).prototype;

const BUCKET = 'photos';
const REGION = 'cn-hangzhou';
const ROLE = 'acs:ram::1234567890123456:role/app';
const ORIGIN = 'http://app.example.com';
const STS: CredentialRecord = {
  accessKeySecret: 'secret-of-alice',
  securityToken: 'token-of-alice',
  roleArn: ROLE,
  sessionPolicy: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${BUCKET}/users/alice/*`] }] }),
};
const NOW = Date.parse('2026-12-01T10:00:00Z');

let oss: OssEmulator;
let now = NOW;

beforeAll(async () => {
  oss = await OssEmulator.start({
    buckets: [BUCKET],
    region: REGION,
    now: () => now,
    credentials: (id) => (id === 'STS.alice' ? STS : id === 'LTAI.long' ? { accessKeySecret: 'long-term', roleArn: ROLE } : undefined),
    rolePolicies: { [ROLE]: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] }] } },
    cors: { [BUCKET]: { rules: [{ allowedOrigins: [ORIGIN], allowedMethods: ['GET', 'POST', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 600 }] } },
  });
});
afterAll(() => oss.close());
beforeEach(() => {
  now = NOW;
  oss.reset();
});

const isoBasic = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

interface FormOptions {
  key?: string;
  conditions?: unknown[];
  expiration?: string;
  fields?: Record<string, string>;
  omit?: string[];
  file?: Buffer;
  filename?: string;
  /** Signs with these credentials instead of alice's STS keys. */
  accessKeyId?: string;
  secret?: string;
  token?: string | undefined;
  signedAt?: number;
  version?: 'v4' | 'v1';
}

/** A form as an app builds it from a signed policy: signature fields pinned in a V4 policy, fields in order, file last. */
function form(options: FormOptions = {}): FormData {
  const signedAt = options.signedAt ?? now;
  const accessKeyId = options.accessKeyId ?? 'STS.alice';
  const secret = options.secret ?? STS.accessKeySecret;
  const token = 'token' in options ? options.token : STS.securityToken;
  const date = isoBasic(signedAt);
  const credential = `${accessKeyId}/${date.slice(0, 8)}/${REGION}/oss/aliyun_v4_request`;
  const signatureFields = options.version === 'v1' ? [] : [{ 'x-oss-signature-version': 'OSS4-HMAC-SHA256' }, { 'x-oss-credential': credential }, { 'x-oss-date': date }];
  const policy = {
    expiration: options.expiration ?? new Date(signedAt + 600_000).toISOString(),
    conditions: [{ bucket: BUCKET }, ...signatureFields, ...(options.conditions ?? [['starts-with', '$key', 'users/alice/']])],
  };
  const fields: Record<string, string> = { key: options.key ?? 'users/alice/a.txt' };
  if (options.version === 'v1') {
    const signed = OSS.calculatePostSignature.call({ options: { accessKeyId, accessKeySecret: secret } }, policy);
    Object.assign(fields, { policy: signed.policy, OSSAccessKeyId: signed.OSSAccessKeyId, Signature: signed.Signature });
  } else {
    const signature = OSS.signPostObjectPolicyV4.call({ options: { accessKeySecret: secret, region: `oss-${REGION}` } }, policy, new Date(signedAt));
    Object.assign(fields, {
      policy: Buffer.from(JSON.stringify(policy)).toString('base64'),
      'x-oss-signature-version': 'OSS4-HMAC-SHA256',
      'x-oss-credential': credential,
      'x-oss-date': date,
      'x-oss-signature': signature,
    });
  }
  if (token !== undefined) fields['x-oss-security-token'] = token;
  Object.assign(fields, options.fields ?? {});
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) if (!options.omit?.includes(name)) data.append(name, value);
  data.append('file', new Blob([options.file ?? Buffer.from('hello form')]), options.filename ?? 'a.txt');
  return data;
}

function post(body: FormData | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${oss.url}/${BUCKET}`, { method: 'POST', body, headers });
}

/** The status, Code, Message and EC of an OSS error answer. */
async function refusal(response: Response): Promise<{ status: number; code: string; message: string; ec: string | null }> {
  const text = await response.text();
  const element = (name: string): string => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1] ?? '';
  const unescape = (value: string): string => value.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  return { status: response.status, code: element('Code'), message: unescape(element('Message')), ec: response.headers.get('x-oss-ec') };
}

const stored = (key: string) => oss.objects(BUCKET).get(key);

describe('OSS emulator PostObject: accepted forms', () => {
  it('stores a V4-signed form upload with its Content-Type and metadata, answering 204 by default', async () => {
    const response = await post(form({ fields: { 'Content-Type': 'text/plain', 'x-oss-meta-owner': 'alice' } }));

    expect(response.status).toBe(204);
    expect(response.headers.get('etag')).toBe(stored('users/alice/a.txt')?.etag);
    expect(stored('users/alice/a.txt')?.body.toString()).toBe('hello form');
    expect(stored('users/alice/a.txt')?.contentType).toBe('text/plain');
    expect(stored('users/alice/a.txt')?.meta).toEqual({ 'x-oss-meta-owner': 'alice' });
  });

  it('honours success_action_status 200 (empty body) and 201 (a PostResponse document)', async () => {
    const ok = await post(form({ key: 'users/alice/200.txt', fields: { success_action_status: '200' } }));
    const created = await post(form({ key: 'users/alice/201.txt', fields: { success_action_status: '201' } }));

    expect([ok.status, await ok.text()]).toEqual([200, '']);
    expect(created.status).toBe(201);
    const xml = await created.text();
    expect(xml).toContain('<PostResponse>');
    expect(xml).toContain('<Key>users/alice/201.txt</Key>');
    expect(xml).toContain(`<Bucket>${BUCKET}</Bucket>`);
    expect(xml).toContain(`<ETag>${stored('users/alice/201.txt')?.etag.replace(/"/g, '&quot;')}</ETag>`);
  });

  it('replaces ${filename} in the key with the file name', async () => {
    const response = await post(form({ key: 'users/alice/uploads/${filename}', filename: 'cat.png', file: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }));

    expect(response.status).toBe(204);
    expect(stored('users/alice/uploads/cat.png')?.body).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('accepts a V1-signed form (OSSAccessKeyId, Signature)', async () => {
    const response = await post(form({ version: 'v1' }));

    expect(response.status).toBe(204);
    expect(stored('users/alice/a.txt')?.body.toString()).toBe('hello form');
  });

  it('refuses a V1-signed form on a V4-only bucket, as a bucket created today does (EC 0002-00000080), and accepts a V4 one', async () => {
    const v4Only = await OssEmulator.start({ buckets: [BUCKET], v4OnlyBuckets: [BUCKET], region: REGION, now: () => now, credentials: (id) => (id === 'STS.alice' ? STS : undefined), rolePolicies: { [ROLE]: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] }] } } });
    try {
      const send = (body: FormData) => fetch(`${v4Only.url}/${BUCKET}`, { method: 'POST', body });
      expect(await refusal(await send(form({ version: 'v1' })))).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0002-00000080' });
      expect((await send(form())).status).toBe(204);
    } finally {
      await v4Only.close();
    }
  });

  it('accepts a file whose size is exactly at either end of content-length-range', async () => {
    const conditions = [['starts-with', '$key', 'users/alice/'], ['content-length-range', 3, 5]];
    expect((await post(form({ conditions, file: Buffer.from('abc') }))).status).toBe(204);
    expect((await post(form({ conditions, file: Buffer.from('abcde') }))).status).toBe(204);
  });

  it('accepts every condition kind when it holds: eq, starts-with, in, not-in and a simple condition', async () => {
    const conditions = [
      ['eq', '$key', 'users/alice/a.txt'],
      ['starts-with', '$x-oss-meta-tag', 'holiday-'],
      ['in', '$content-type', ['image/png', 'text/plain']],
      ['not-in', '$cache-control', ['no-cache']],
      { success_action_status: '200' },
    ];

    const response = await post(form({ conditions, fields: { 'x-oss-meta-tag': 'holiday-2026', 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60', success_action_status: '200' } }));

    expect(response.status).toBe(200);
  });
});

describe('OSS emulator PostObject: each violated condition refused with OSS\'s code', () => {
  it('an expired policy: 403 AccessDenied "Invalid according to Policy: Policy expired." (EC 0006-00000213)', async () => {
    const body = form({ expiration: new Date(NOW - 1000).toISOString() });

    expect(await refusal(await post(body))).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.', ec: '0006-00000213' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('a key other than the policy\'s: 403 AccessDenied naming the failed condition (EC 0006-00000227)', async () => {
    const exact = await refusal(await post(form({ key: 'users/alice/b.txt', conditions: [['eq', '$key', 'users/alice/a.txt']] })));
    const prefix = await refusal(await post(form({ key: 'users/bob/a.txt' })));

    expect(exact).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "users/alice/a.txt"]', ec: '0006-00000227' });
    expect(prefix).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "users/alice/"]', ec: '0006-00000227' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('a file larger than content-length-range: 400 EntityTooLarge (EC 0006-00000003); smaller: 400 EntityTooSmall (EC 0006-00000004)', async () => {
    const conditions = [['starts-with', '$key', 'users/alice/'], ['content-length-range', 3, 5]];

    expect(await refusal(await post(form({ conditions, file: Buffer.from('abcdef') })))).toEqual({ status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size.', ec: '0006-00000003' });
    expect(await refusal(await post(form({ conditions, file: Buffer.from('ab') })))).toEqual({ status: 400, code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed size.', ec: '0006-00000004' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('a Content-Type the policy does not allow, or none at all: 403 AccessDenied naming the condition', async () => {
    const conditions = [['starts-with', '$key', 'users/alice/'], ['in', '$content-type', ['image/png', 'image/jpeg']]];

    const html = await refusal(await post(form({ conditions, fields: { 'Content-Type': 'text/html' } })));
    const none = await refusal(await post(form({ conditions })));

    expect(html).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy Condition failed: ["in", "$content-type", ["image/png", "image/jpeg"]]', ec: '0006-00000227' });
    expect(none.code).toBe('AccessDenied');
  });

  it('an STS key without its security token: 403 InvalidAccessKeyId (EC 0002-00000003); another token: InvalidSecurityToken', async () => {
    expect(await refusal(await post(form({ token: undefined })))).toEqual({ status: 403, code: 'InvalidAccessKeyId', message: 'The OSS Access Key Id you provided does not exist in our records.', ec: '0002-00000003' });
    expect((await refusal(await post(form({ token: 'token-of-mallory' })))).code).toBe('InvalidSecurityToken');
  });

  it('a policy changed after signing, or signed with another secret: 403 SignatureDoesNotMatch', async () => {
    const tampered = form();
    const policy = JSON.parse(Buffer.from(String(tampered.get('policy')), 'base64').toString()) as { conditions: unknown[] };
    policy.conditions = policy.conditions.filter((condition) => !Array.isArray(condition));
    tampered.set('policy', Buffer.from(JSON.stringify(policy)).toString('base64'));
    tampered.delete('file');
    tampered.append('file', new Blob(['x']), 'a.txt');

    expect((await refusal(await post(tampered))).code).toBe('SignatureDoesNotMatch');
    expect((await refusal(await post(form({ secret: 'not-the-secret' })))).code).toBe('SignatureDoesNotMatch');
    expect((await refusal(await post(form({ version: 'v1', secret: 'not-the-secret' })))).code).toBe('SignatureDoesNotMatch');
  });

  it('a V4 policy that does not pin its x-oss-date: 400 InvalidPolicyDocument', async () => {
    const body = form();
    const policy = JSON.parse(Buffer.from(String(body.get('policy')), 'base64').toString()) as { conditions: unknown[] };
    const unpinned = { ...policy, conditions: policy.conditions.filter((condition) => !(typeof condition === 'object' && condition !== null && 'x-oss-date' in condition)) };
    const resigned = OSS.signPostObjectPolicyV4.call({ options: { accessKeySecret: STS.accessKeySecret, region: `oss-${REGION}` } }, unpinned, new Date(NOW));
    body.set('policy', Buffer.from(JSON.stringify(unpinned)).toString('base64'));
    body.set('x-oss-signature', resigned);
    body.delete('file');
    body.append('file', new Blob(['x']), 'a.txt');

    expect(await refusal(await post(body))).toMatchObject({ status: 400, code: 'InvalidPolicyDocument' });
  });

  it('a form signed for another day, region, or too long ago is refused before the policy is read', async () => {
    const wrongRegion = form();
    wrongRegion.set('x-oss-credential', String(wrongRegion.get('x-oss-credential')).replace(REGION, 'cn-beijing'));
    wrongRegion.delete('file');
    wrongRegion.append('file', new Blob(['x']), 'a.txt');

    expect((await refusal(await post(wrongRegion))).code).toBe('InvalidArgument');
    expect((await refusal(await post(form({ signedAt: NOW - 8 * 24 * 3600_000, expiration: new Date(NOW + 60_000).toISOString() })))).code).toBe('AccessDenied');
  });

  it('a key the credentials\' RAM policy does not allow: 403 AccessDenied, even when the form policy lets it through', async () => {
    const response = await post(form({ key: 'users/bob/planted.txt', conditions: [['starts-with', '$key', 'users/']] }));

    expect(await refusal(response)).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(oss.objects(BUCKET).size).toBe(0);
  });

  it('x-oss-forbid-overwrite=true over an existing object: 409 FileAlreadyExists', async () => {
    expect((await post(form())).status).toBe(204);

    expect(await refusal(await post(form({ fields: { 'x-oss-forbid-overwrite': 'true' }, file: Buffer.from('second') })))).toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    expect(stored('users/alice/a.txt')?.body.toString()).toBe('hello form');
  });

  it('an anonymous form, a signed form without policy, a form without file or with a field after it', async () => {
    const anonymous = new FormData();
    anonymous.append('key', 'users/alice/a.txt');
    anonymous.append('file', new Blob(['x']));
    const afterFile = form();
    afterFile.append('x-oss-meta-late', 'x');

    expect((await refusal(await post(anonymous))).code).toBe('AccessDenied');
    expect(await refusal(await post(form({ omit: ['policy'] })))).toMatchObject({ status: 403, code: 'AccessDenied', ec: '0002-00000702' });
    expect(await refusal(await post(afterFile))).toEqual({ status: 400, code: 'MalformedPOSTRequest', message: 'The body of your POST request is not well-formed multipart/form-data.', ec: '0006-00000104' });
    expect((await refusal(await post('--x\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--x--', { 'Content-Type': 'multipart/form-data; boundary=x' }))).code).toBe('MalformedPOSTRequest');
  });

  it('refuses a callback field rather than ignoring it', async () => {
    expect((await refusal(await post(form({ fields: { callback: 'e30=' } })))).code).toBe('NotImplemented');
  });
});

describe('OSS emulator PostObject policy documents', () => {
  const encode = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
  const code = (text: string): string => {
    try {
      decodePolicy(text);
    } catch (error) {
      if (error instanceof OssError) return `${error.status} ${error.code} ${error.ec ?? ''}`.trim();
      throw error;
    }
    return 'accepted';
  };

  it.each([
    ['not base64', '%%%', '400 InvalidPolicyDocument'],
    ['not JSON', encode('{"expiration":'), '400 InvalidPolicyDocument'],
    ['no expiration', encode({ conditions: [] }), '400 InvalidPolicyDocument 0006-00000208'],
    ['no conditions', encode({ expiration: '2030-01-01T00:00:00.000Z' }), '400 InvalidPolicyDocument 0006-00000207'],
    ['a numeric expiration', encode({ expiration: 123, conditions: [] }), '400 InvalidPolicyDocument 0006-00000210'],
    ['an empty expiration', encode({ expiration: '', conditions: [] }), '400 InvalidPolicyDocument 0006-00000211'],
    ['an expiration that is not ISO 8601', encode({ expiration: '2023-02-19 13:19:00', conditions: [] }), '400 InvalidPolicyDocument 0006-00000212'],
    ['conditions that are not a list', encode({ expiration: '2030-01-01T00:00:00Z', conditions: 123 }), '400 InvalidPolicyDocument 0006-00000214'],
    ['a condition that is neither map nor list', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [123] }), '400 InvalidPolicyDocument 0006-00000222'],
    ['a condition without a mode', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [['$key']] }), '400 InvalidPolicyDocument 0006-00000216'],
    ['an unsupported mode', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [['ends-with', '$key', 'x']] }), '400 InvalidPolicyDocument 0006-00000217'],
    ['an extra value', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [['starts-with', '$key', 'a', 'b']] }), '400 InvalidPolicyDocument 0006-00000218'],
    ['a range whose maximum is below its minimum', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [['content-length-range', 20, 10]] }), '400 InvalidPolicyDocument 0006-00000219'],
    ['a range that is not numbers', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [['content-length-range', 10, 'test']] }), '400 InvalidPolicyDocument 0006-00000221'],
    ['a simple condition with two properties', encode({ expiration: '2030-01-01T00:00:00Z', conditions: [{ bucket: 'a', key: 'b' }] }), '400 InvalidPolicyDocument'],
    ['a valid policy', encode({ expiration: '2030-01-01T00:00:00.000Z', conditions: [{ bucket: 'a' }, ['content-length-range', 0, 10], ['in', '$content-type', ['a/b']]] }), 'accepted'],
  ])('%s: %s', (_, text, expected) => {
    expect(code(text)).toBe(expected);
  });
});

describe('OSS emulator bucket CORS', () => {
  const preflight = (origin: string, method: string, headers = 'content-type') =>
    fetch(`${oss.url}/${BUCKET}/users/alice/a.txt`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers } });

  it('answers a preflight from a configured origin with the rule\'s methods, headers, exposed headers and max age', async () => {
    const response = await preflight(ORIGIN, 'PUT', 'content-type,x-oss-date,authorization');

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type, x-oss-date, authorization');
    expect(response.headers.get('access-control-expose-headers')).toBe('ETag, x-oss-request-id');
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('refuses a preflight from another origin or for another method with 403 AccessForbidden and no CORS headers', async () => {
    for (const response of [await preflight('http://evil.example.com', 'PUT'), await preflight(ORIGIN, 'DELETE')]) {
      expect((await refusal(response)).code).toBe('AccessForbidden');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('refuses a preflight without Origin or Access-Control-Request-Method with 400 BadRequest', async () => {
    const response = await fetch(`${oss.url}/${BUCKET}/a`, { method: 'OPTIONS', headers: { Origin: ORIGIN } });
    expect(await refusal(response)).toMatchObject({ status: 400, code: 'BadRequest' });
  });

  it('lets a page read a PostObject answer, and its refusals, from a configured origin only', async () => {
    const accepted = await post(form(), { Origin: ORIGIN });
    const refused = await post(form({ key: 'users/bob/a.txt' }), { Origin: ORIGIN });
    const foreign = await post(form(), { Origin: 'http://evil.example.com' });

    expect(accepted.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(accepted.headers.get('access-control-expose-headers')).toBe('ETag, x-oss-request-id');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
