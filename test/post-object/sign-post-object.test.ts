/**
 * PostObject forms from sign-request, end to end: FC events into the real handler (scoped
 * credentials from the STS emulator, or the function's own), the answer turned into a form exactly
 * as a browser does (fields in order, file last) and posted to the OSS emulator, which enforces the
 * policy as OSS does. The V4 form signature is checked with ali-oss's own `signPostObjectPolicyV4`.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import type { FcContext, FcHttpHandler } from '../../shared/http/fc-event';
import { createLogger } from '../../shared/log';
import { appRolePermissionPolicy } from '../../shared/policy/role-policies';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { OssEmulator, credentialsFromSts } from '../../local/oss-emulator';
import { StsEmulator } from '../../local/sts-emulator';
import { bearer, httpEvent, jsonBody } from '../helpers/fc-events';
import { functionEnvironment } from '../helpers/function-environment';

interface OssPrototype {
  signPostObjectPolicyV4(this: { options: object }, policy: object, date: Date): string;
  calculatePostSignature(this: { options: object }, policy: object): { Signature: string };
}
const aliOss = (createRequire(import.meta.url)('ali-oss') as { prototype: OssPrototype }).prototype;

const SCOPES = {
  photos: { prefix: 'users/${sub}/', actions: ['read', 'write'], upload: { maxBytes: 1000, contentTypes: ['image/*', 'text/plain'], overwrite: false } },
  open: { prefix: 'open/${sub}/', actions: ['write'] },
  reader: { prefix: 'users/${sub}/', actions: ['read'] },
};
const V4_FIELDS = ['key', 'policy', 'x-oss-signature-version', 'x-oss-credential', 'x-oss-date', 'x-oss-signature', 'x-oss-security-token', 'success_action_status', 'Content-Type', 'x-oss-forbid-overwrite'];

let sts: StsEmulator;
let issuer: DemoIssuer;
let oss: OssEmulator;
let handler: FcHttpHandler;
let ossOffsetMs = 0;
let context: FcContext;
const logLines: string[] = [];

function handlerFor(overrides: Record<string, string> = {}, now?: () => number): FcHttpHandler {
  return createSignRequestHandler(
    functionEnvironment(sts, issuer, { TVM_SCOPES: JSON.stringify(SCOPES), TVM_DEFAULT_SCOPE: 'photos', TVM_OSS_ENDPOINT: oss.url, ...overrides }),
    { logger: createLogger((line) => logLines.push(line)), ...(now === undefined ? {} : { now }) },
  );
}

beforeAll(async () => {
  sts = await StsEmulator.start();
  issuer = await createDemoIssuer('https://issuer.post.example/', 'oss-tvm-post');
  const bucket = 'photos';
  oss = await OssEmulator.start({
    buckets: [bucket],
    credentials: credentialsFromSts(sts),
    rolePolicies: { [sts.defaultRoleArn]: appRolePermissionPolicy(SCOPES as never, bucket, 'sub') },
    now: () => Date.now() + ossOffsetMs,
  });
  handler = handlerFor();
  context = { requestId: 'post-object', credentials: sts.createFunctionCredentials(), region: 'cn-hangzhou' };
});
afterAll(async () => {
  await oss.close();
  await sts.close();
});
beforeEach(() => {
  ossOffsetMs = 0;
  oss.reset();
});

interface FormAnswer {
  StatusCode: number;
  Url: string;
  Fields: Record<string, string>;
  Expiration: string;
}

/** Asks sign-request for a form; resolves with the status and body. */
async function ask(user: string, body: unknown, options: { handler?: FcHttpHandler; query?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await (options.handler ?? handler)(
    httpEvent({ method: 'POST', headers: { ...bearer(await issuer.issue(user)), 'Content-Type': 'application/json' }, body: JSON.stringify(body), ...(options.query ? { query: options.query } : {}) }),
    context,
  );
  return { status: response.statusCode, body: jsonBody(response) };
}

async function form(user: string, postObject: Record<string, unknown>, version = 'v4', scope?: string): Promise<FormAnswer> {
  const answer = await ask(user, { version, postObject, ...(scope ? { scope } : {}) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as unknown as FormAnswer;
}

/** Posts the form as a browser builds it: every returned field in order (some replaced or dropped), then the file. */
function upload(answer: FormAnswer, file: Buffer, change: Record<string, string | undefined> = {}): Promise<Response> {
  const data = new FormData();
  const fields = { ...answer.Fields, ...change };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) data.append(name, value);
  data.append('file', new Blob([file]), 'upload.bin');
  return fetch(answer.Url, { method: 'POST', body: data });
}

async function ossCode(response: Response): Promise<string> {
  return /<Code>([^<]*)<\/Code>/.exec(await response.text())?.[1] ?? `(status ${response.status})`;
}

const stored = (key: string) => oss.objects('photos').get(key);

describe('sign-request PostObject: a form built from the answer uploads', () => {
  it('answers the form action, the V4 fields in the documented order and an Expiration; the emulator stores the upload', async () => {
    const answer = await form('alice', { key: 'users/alice/cat.png', contentType: 'image/png', contentLength: 4 });

    expect(answer.Url).toBe(`${oss.url}/photos`);
    expect(Object.keys(answer.Fields)).toEqual(V4_FIELDS);
    expect(answer.Fields).toMatchObject({ key: 'users/alice/cat.png', 'x-oss-signature-version': 'OSS4-HMAC-SHA256', success_action_status: '200', 'Content-Type': 'image/png', 'x-oss-forbid-overwrite': 'true' });
    expect(answer.Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const response = await upload(answer, Buffer.from([0x89, 0x50, 0x4e, 0x47]));

    expect(response.status).toBe(200);
    expect(stored('users/alice/cat.png')?.body).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(stored('users/alice/cat.png')?.contentType).toBe('image/png');
  });

  it('signs the policy as ali-oss signs it, with the scoped credentials STS issued to the caller', async () => {
    const answer = await form('alice', { key: 'users/alice/a.txt', contentType: 'text/plain', contentLength: 10 });
    const accessKeyId = answer.Fields['x-oss-credential']?.split('/')[0] ?? '';
    const issued = sts.findIssued(accessKeyId);
    const policy = JSON.parse(Buffer.from(answer.Fields['policy'] ?? '', 'base64').toString('utf8')) as object;
    const date = answer.Fields['x-oss-date'] ?? '';
    const signedAt = new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15)));

    expect(issued?.issued.securityToken).toBe(answer.Fields['x-oss-security-token']);
    expect(answer.Fields['x-oss-credential']).toBe(`${accessKeyId}/${date.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`);
    expect(aliOss.signPostObjectPolicyV4.call({ options: { accessKeySecret: issued?.issued.accessKeySecret, region: 'oss-cn-hangzhou' } }, policy, signedAt)).toBe(answer.Fields['x-oss-signature']);
  });

  it('pins bucket, key, size, type, overwrite, the signature fields and the token in the policy, and nothing the client chose', async () => {
    const answer = await form('alice', { key: 'users/alice/a.txt', contentType: 'text/plain', contentLength: 10 });
    const policy = JSON.parse(Buffer.from(answer.Fields['policy'] ?? '', 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };

    expect(policy.conditions).toEqual([
      { bucket: 'photos' },
      ['eq', '$key', 'users/alice/a.txt'],
      ['content-length-range', 0, 10],
      ['eq', '$content-type', 'text/plain'],
      ['eq', '$x-oss-forbid-overwrite', 'true'],
      { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
      { 'x-oss-credential': answer.Fields['x-oss-credential'] },
      { 'x-oss-date': answer.Fields['x-oss-date'] },
      { 'x-oss-security-token': answer.Fields['x-oss-security-token'] },
    ]);
    expect(Date.parse(policy.expiration)).toBe(Date.parse(answer.Expiration));
  });

  it('lets a keyPrefix form choose any key under it, with the file name by default', async () => {
    const answer = await form('alice', { keyPrefix: 'users/alice/inbox/', contentType: 'text/plain' });

    expect(answer.Fields['key']).toBe('users/alice/inbox/${filename}');
    expect((await upload(answer, Buffer.from('one'))).status).toBe(200);
    expect((await upload(answer, Buffer.from('two'), { key: 'users/alice/inbox/chosen.txt' })).status).toBe(200);
    expect(stored('users/alice/inbox/upload.bin')?.body.toString()).toBe('one');
    expect(stored('users/alice/inbox/chosen.txt')?.body.toString()).toBe('two');
    expect(await ossCode(await upload(answer, Buffer.from('x'), { key: 'users/alice/elsewhere.txt' }))).toBe('AccessDenied');
  });

  it('makes a V1 form (OSSAccessKeyId, Signature) for buckets that still accept V1', async () => {
    const answer = await form('alice', { key: 'users/alice/v1.txt', contentType: 'text/plain', contentLength: 2 }, 'v1');

    expect(Object.keys(answer.Fields)).toEqual(['key', 'policy', 'OSSAccessKeyId', 'Signature', 'x-oss-security-token', 'success_action_status', 'Content-Type', 'x-oss-forbid-overwrite']);
    const issued = sts.findIssued(answer.Fields['OSSAccessKeyId'] ?? '');
    const policy = JSON.parse(Buffer.from(answer.Fields['policy'] ?? '', 'base64').toString('utf8')) as object;
    expect(aliOss.calculatePostSignature.call({ options: { accessKeyId: 'x', accessKeySecret: issued?.issued.accessKeySecret } }, policy).Signature).toBe(answer.Fields['Signature']);
    expect((await upload(answer, Buffer.from('v1'))).status).toBe(200);
  });

  it('signs with the function role\'s own credentials in function mode', async () => {
    const functionMode = handlerFor({ TVM_SIGNING_CREDENTIALS: 'function' });

    const answer = await ask('alice', { version: 'v4', postObject: { key: 'users/alice/f.txt', contentType: 'text/plain', contentLength: 1 } }, { handler: functionMode });

    expect(answer.status).toBe(200);
    const fields = (answer.body as unknown as FormAnswer).Fields;
    expect(fields['x-oss-credential']?.split('/')[0]).toBe(context.credentials?.accessKeyId);
    expect(fields['x-oss-security-token']).toBe(context.credentials?.securityToken);
  });
});

describe('sign-request PostObject: each violated condition is refused by OSS with its code', () => {
  let answer: FormAnswer;
  beforeEach(async () => {
    answer = await form('alice', { key: 'users/alice/a.txt', contentType: 'text/plain', contentLength: 5 });
  });

  it('a larger file than declared: EntityTooLarge', async () => {
    expect(await ossCode(await upload(answer, Buffer.from('123456')))).toBe('EntityTooLarge');
  });

  it('another key, or another user\'s: AccessDenied', async () => {
    expect(await ossCode(await upload(answer, Buffer.from('x'), { key: 'users/alice/b.txt' }))).toBe('AccessDenied');
    expect(await ossCode(await upload(answer, Buffer.from('x'), { key: 'users/bob/a.txt' }))).toBe('AccessDenied');
  });

  it('another Content-Type, or none: AccessDenied', async () => {
    expect(await ossCode(await upload(answer, Buffer.from('x'), { 'Content-Type': 'text/html' }))).toBe('AccessDenied');
    expect(await ossCode(await upload(answer, Buffer.from('x'), { 'Content-Type': undefined }))).toBe('AccessDenied');
  });

  it('overwrite allowed by the client, or an existing object: AccessDenied, then FileAlreadyExists', async () => {
    expect(await ossCode(await upload(answer, Buffer.from('x'), { 'x-oss-forbid-overwrite': 'false' }))).toBe('AccessDenied');
    expect((await upload(answer, Buffer.from('first'))).status).toBe(200);
    expect(await ossCode(await upload(answer, Buffer.from('again')))).toBe('FileAlreadyExists');
    expect(stored('users/alice/a.txt')?.body.toString()).toBe('first');
  });

  it('without the security token: InvalidAccessKeyId', async () => {
    expect(await ossCode(await upload(answer, Buffer.from('x'), { 'x-oss-security-token': undefined }))).toBe('InvalidAccessKeyId');
  });

  it('after the policy expired: AccessDenied (Policy expired)', async () => {
    ossOffsetMs = Date.parse(answer.Expiration) - Date.now() + 2000;
    const response = await upload(answer, Buffer.from('x'));
    const text = await response.text();

    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('Policy expired.');
  });
});

describe('sign-request PostObject: refusals', () => {
  async function refused(user: string, postObject: unknown, scope?: string, version = 'v4'): Promise<[number, unknown, string]> {
    const answer = await ask(user, { version, postObject, ...(scope ? { scope } : {}) });
    return [answer.status, answer.body['ErrorCode'], String(answer.body['ErrorMessage'])];
  }

  it('a key under another user\'s prefix, a sibling prefix or with a .. segment: 403 KeyNotAllowed', async () => {
    for (const target of [{ key: 'users/bob/a.txt' }, { key: 'users/alice2/a.txt' }, { key: 'users/alice/../bob/a.txt' }, { keyPrefix: 'users/' }, { keyPrefix: 'users/bob/' }]) {
      expect((await refused('alice', { ...target, contentType: 'text/plain', contentLength: 1 })).slice(0, 2)).toEqual([403, 'KeyNotAllowed']);
    }
  });

  it('a file larger than the scope\'s maxBytes: 403 UploadNotAllowed naming upload.maxBytes', async () => {
    const [status, code, message] = await refused('alice', { key: 'users/alice/big.png', contentType: 'image/png', contentLength: 1001 });

    expect([status, code]).toEqual([403, 'UploadNotAllowed']);
    expect(message).toBe('The upload is 1001 bytes; this scope accepts at most 1000 bytes (upload.maxBytes).');
  });

  it('a type outside contentTypes, or none: 403 UploadNotAllowed naming upload.contentTypes', async () => {
    const [status, code, message] = await refused('alice', { key: 'users/alice/x.html', contentType: 'text/html', contentLength: 10 });
    const none = await refused('alice', { key: 'users/alice/x', contentLength: 10 });

    expect([status, code]).toEqual([403, 'UploadNotAllowed']);
    expect(message).toContain('(upload.contentTypes)');
    expect(none.slice(0, 2)).toEqual([403, 'UploadNotAllowed']);
  });

  it('a scope that cannot write: 403 OperationNotAllowed', async () => {
    expect((await refused('alice', { key: 'users/alice/a.txt', contentType: 'text/plain' }, 'reader')).slice(0, 2)).toEqual([403, 'OperationNotAllowed']);
  });

  it('a scope without limits caps the form at 5 GiB and needs no Content-Type', async () => {
    const answer = await form('alice', { key: 'open/alice/any.bin' }, 'v4', 'open');
    const policy = JSON.parse(Buffer.from(answer.Fields['policy'] ?? '', 'base64').toString('utf8')) as { conditions: unknown[] };

    expect(policy.conditions).toContainEqual(['content-length-range', 0, 5 * 1024 ** 3]);
    expect(answer.Fields).not.toHaveProperty('Content-Type');
    expect(answer.Fields).not.toHaveProperty('x-oss-forbid-overwrite');
    expect((await upload(answer, Buffer.from('anything'))).status).toBe(200);
    expect((await refused('alice', { key: 'open/alice/huge.bin', contentLength: 5 * 1024 ** 3 + 1 }, 'open')).slice(0, 2)).toEqual([403, 'UploadNotAllowed']);
  });

  it.each([
    ['conditions chosen by the client', { key: 'users/alice/a.txt', conditions: [['starts-with', '$key', '']] }],
    ['both key and keyPrefix', { key: 'users/alice/a.txt', keyPrefix: 'users/alice/' }],
    ['neither key nor keyPrefix', { contentType: 'text/plain' }],
    ['a key that is not a string', { key: 42 }],
    ['a keyPrefix without the trailing slash', { keyPrefix: 'users/alice/in' }],
    ['a key with ${filename}', { key: 'users/alice/${filename}' }],
    ['a key with a control character', { key: 'users/alice/a\u0000.txt' }],
    ['a Content-Type with parameters', { key: 'users/alice/a.txt', contentType: 'text/plain; charset=utf-8' }],
    ['a negative contentLength', { key: 'users/alice/a.txt', contentLength: -1 }],
    ['a fractional contentLength', { key: 'users/alice/a.txt', contentLength: 1.5 }],
    ['contentLength as a string', { key: 'users/alice/a.txt', contentLength: '5' }],
    ['postObject that is not an object', 'users/alice/a.txt'],
  ])('%s: 400 MalformedRequest', async (_, postObject) => {
    expect((await refused('alice', postObject)).slice(0, 2)).toEqual([400, 'MalformedRequest']);
  });

  it('a version other than v4 or v1, or extra fields beside postObject: 400 MalformedRequest', async () => {
    expect((await refused('alice', { key: 'users/alice/a.txt' }, undefined, 'v2')).slice(0, 2)).toEqual([400, 'MalformedRequest']);
    const extra = await ask('alice', { version: 'v4', postObject: { key: 'users/alice/a.txt', contentType: 'text/plain' }, policy: 'e30=' });
    expect([extra.status, extra.body['ErrorCode']]).toEqual([400, 'MalformedRequest']);
  });

  it('an unknown scope: 403 UnknownScope; no token: 401 InvalidToken; and no signature in any refusal', async () => {
    expect((await refused('alice', { key: 'users/alice/a.txt' }, 'admin')).slice(0, 2)).toEqual([403, 'UnknownScope']);
    const anonymous = await handler(httpEvent({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ version: 'v4', postObject: { key: 'users/alice/a.txt' } }) }), context);
    expect([anonymous.statusCode, jsonBody(anonymous)['ErrorCode']]).toEqual([401, 'InvalidToken']);
    expect(anonymous.body).not.toContain('Fields');
  });
});

describe('sign-request PostObject: expiry', () => {
  it('lasts TVM_SIGN_POST_POLICY_TTL_SECONDS (600 by default) from server time', async () => {
    const before = Date.now();
    const standard = await form('alice', { key: 'users/alice/a.txt', contentType: 'text/plain' });
    const short = await ask('alice', { version: 'v4', postObject: { key: 'users/alice/a.txt', contentType: 'text/plain' } }, { handler: handlerFor({ TVM_SIGN_POST_POLICY_TTL_SECONDS: '120' }) });

    expect(Date.parse(standard.Expiration) - before).toBeGreaterThanOrEqual(599_000);
    expect(Date.parse(standard.Expiration) - before).toBeLessThanOrEqual(601_000);
    expect(Date.parse(String(short.body['Expiration'])) - before).toBeLessThanOrEqual(121_000);
  });

  it('never outlives the signing credentials', async () => {
    // The function's clock runs 10 minutes ahead of STS's: the 900 s credentials STS issues have
    // only 300 s left by the function's clock, less than the 450 s a policy may last.
    const ahead = handlerFor({ TVM_SIGN_POST_POLICY_TTL_SECONDS: '450', TVM_DURATION_SECONDS: '900' }, () => Date.now() + 600_000);

    const answer = await ask('carol', { version: 'v4', postObject: { key: 'users/carol/a.txt', contentType: 'text/plain' } }, { handler: ahead });

    const accessKeyId = String((answer.body as unknown as FormAnswer).Fields['x-oss-credential']).split('/')[0] ?? '';
    const credentialsExpire = Date.parse(sts.findIssued(accessKeyId)?.issued.expiration ?? '');
    expect(answer.status).toBe(200);
    expect(Date.parse(String(answer.body['Expiration']))).toBe(credentialsExpire);
  });

  it('refuses at cold start a policy lifetime over half the credential duration', async () => {
    const refused = await ask('alice', { version: 'v4', postObject: { key: 'users/alice/a.txt', contentType: 'text/plain' } }, { handler: handlerFor({ TVM_SIGN_POST_POLICY_TTL_SECONDS: '1000', TVM_DURATION_SECONDS: '900' }) });

    expect([refused.status, refused.body['ErrorCode']]).toEqual([500, 'InvalidConfiguration']);
    expect(String(refused.body['ErrorMessage'])).toContain('TVM_SIGN_POST_POLICY_TTL_SECONDS is invalid: 1000 is more than half of TVM_DURATION_SECONDS (900)');
  });
});

describe('sign-request PostObject: logs', () => {
  it('log the operation and never a signature, policy or token', () => {
    const joined = logLines.join('\n');
    expect(joined).toContain('"operation":"PostObject"');
    for (const line of logLines) {
      expect(line).not.toMatch(/x-oss-signature|"policy"|CAIS|security/i);
    }
  });
});
