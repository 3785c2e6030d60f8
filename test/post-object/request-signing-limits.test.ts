/**
 * Upload limits on signed requests (V1 string-to-sign and V4 canonical request): what a signature
 * carries is held to the scope's limits. The Content-Type of the operations that set an object's
 * type, and `x-oss-forbid-overwrite: true` on those that would replace one; end to end, OSS (the
 * emulator) then refuses the overwrite.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import { buildSessionPolicy } from '../../shared/policy/session-policy';
import type { UploadLimits } from '../../shared/policy/upload-limits';
import { type SigningRules, authorizeStringToSign } from '../../shared/signing/authorize-signing';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { createLogger } from '../../shared/log';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import type { FcContext, FcHttpHandler } from '../../shared/http/fc-event';
import { OssEmulator, credentialsFromSts } from '../../local/oss-emulator';
import { StsEmulator } from '../../local/sts-emulator';
import { appRolePermissionPolicy } from '../../shared/policy/role-policies';
import { bearer, httpEvent } from '../helpers/fc-events';
import { functionEnvironment } from '../helpers/function-environment';
import { refusal } from '../helpers/refusal';

/** ali-oss's V4 canonical request, built as the SDK builds one: an oracle written apart from sign-request's parser. */
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as {
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string): string;
};

const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
const DATE = new Date(NOW).toUTCString();
const LIMITS: UploadLimits = { maxBytes: 1000, contentTypes: ['image/*'], overwrite: false };

const rules = (upload: UploadLimits | undefined): SigningRules => ({
  bucket: 'photos',
  prefix: 'users/alice/',
  policy: buildSessionPolicy({ bucket: 'photos', scope: { prefix: 'users/${sub}/', actions: ['read', 'write'] }, identity: 'alice', identityClaim: 'sub' }).document,
  now: NOW,
  maxSkewSeconds: 300,
  maxUrlTtlSeconds: 1800,
  extraHeaders: [],
  upload,
});

/** A V1 string-to-sign: verb, Content-Type, x-oss headers and the resource, dated now. */
const content = (verb: string, type: string, resource: string, ...headers: string[]): string => [verb, '', type, DATE, ...headers, `/photos/users/alice/${resource}`].join('\n');

/** The operation signed, or the refusal's code; `'none'`: a scope without upload limits. */
function outcome(text: string, upload: UploadLimits | 'none' = LIMITS): string {
  const limits = upload === 'none' ? undefined : upload;
  try {
    return authorizeStringToSign(parseStringToSign(text), rules(limits)).operation;
  } catch {
    return refusal(() => authorizeStringToSign(parseStringToSign(text), rules(limits))).code;
  }
}

describe('authorizeStringToSign with upload limits', () => {
  it('signs an upload whose Content-Type the scope accepts, and refuses another type or none with UploadNotAllowed', () => {
    expect(outcome(content('PUT', 'image/png', 'a.png', 'x-oss-forbid-overwrite:true'))).toBe('PutObject');
    expect(outcome(content('PUT', 'text/html', 'a.html', 'x-oss-forbid-overwrite:true'))).toBe('UploadNotAllowed');
    expect(outcome(content('PUT', '', 'a.html', 'x-oss-forbid-overwrite:true'))).toBe('UploadNotAllowed');
    expect(outcome(content('POST', 'text/html', 'a.html?uploads'))).toBe('UploadNotAllowed');
    expect(outcome(content('POST', 'image/jpeg', 'a.jpg?uploads'))).toBe('InitiateMultipartUpload');
  });

  it('names the limit in the refusal', () => {
    const error = refusal(() => authorizeStringToSign(parseStringToSign(content('PUT', 'text/html', 'a.html', 'x-oss-forbid-overwrite:true')), rules(LIMITS)));

    expect([error.status, error.code]).toEqual([403, 'UploadNotAllowed']);
    expect(error.message).toBe('The text/html type is not accepted here; this scope accepts image/* (upload.contentTypes).');
  });

  it('leaves the Content-Type of parts, completions, reads and deletes alone', () => {
    expect(outcome(content('PUT', 'application/octet-stream', 'a.png?partNumber=1&uploadId=U1'))).toBe('UploadPart');
    expect(outcome(content('POST', 'application/xml', 'a.png?uploadId=U1', 'x-oss-forbid-overwrite:true'))).toBe('CompleteMultipartUpload');
    expect(outcome(content('GET', '', 'a.png'))).toBe('GetObject');
  });

  it('with overwrite: false, signs a PutObject or CompleteMultipartUpload only with x-oss-forbid-overwrite: true', () => {
    const error = refusal(() => authorizeStringToSign(parseStringToSign(content('PUT', 'image/png', 'a.png')), rules(LIMITS)));

    expect([error.code, error.message]).toEqual(['UploadNotAllowed', 'This scope never replaces an existing object (upload.overwrite: false): sign PutObject with the header x-oss-forbid-overwrite: true.']);
    expect(outcome(content('PUT', 'image/png', 'a.png', 'x-oss-forbid-overwrite:false'))).toBe('UploadNotAllowed');
    expect(outcome(content('POST', '', 'a.png?uploadId=U1'))).toBe('UploadNotAllowed');
    expect(outcome(content('POST', '', 'a.png?uploads'), { overwrite: false })).toBe('InitiateMultipartUpload');
  });

  it('with overwrite: false, refuses AppendObject, which changes an existing object', () => {
    expect(outcome(content('POST', 'image/png', 'a.png?append&position=0', 'x-oss-forbid-overwrite:true'))).toBe('UploadNotAllowed');
    expect(outcome(content('POST', 'image/png', 'a.png?append&position=0'), { contentTypes: ['image/*'] })).toBe('AppendObject');
  });

  it('without limits, signs any type and keeps refusing x-oss-forbid-overwrite unless TVM_SIGN_EXTRA_HEADERS names it', () => {
    expect(outcome(content('PUT', 'text/html', 'a.html'), 'none')).toBe('PutObject');
    expect(outcome(content('PUT', 'text/html', 'a.html', 'x-oss-forbid-overwrite:true'), 'none')).toBe('HeaderNotAllowed');
    expect(outcome(content('PUT', 'text/html', 'a.html', 'x-oss-forbid-overwrite:true'), { maxBytes: 5 })).toBe('HeaderNotAllowed');
  });
});

describe('sign-request with upload limits, against OSS', () => {
  const scopes = { user: { prefix: 'users/${sub}/', actions: ['read', 'write'], upload: LIMITS } };
  let sts: StsEmulator;
  let oss: OssEmulator;
  let issuer: DemoIssuer;
  let handler: FcHttpHandler;
  let context: FcContext;

  beforeAll(async () => {
    sts = await StsEmulator.start();
    issuer = await createDemoIssuer('https://issuer.limits.example/', 'oss-tvm-limits');
    oss = await OssEmulator.start({ buckets: ['photos'], credentials: credentialsFromSts(sts), rolePolicies: { [sts.defaultRoleArn]: appRolePermissionPolicy(scopes as never, 'photos', 'sub') } });
    handler = createSignRequestHandler(functionEnvironment(sts, issuer, { TVM_SCOPES: JSON.stringify(scopes) }), { logger: createLogger(() => undefined) });
    context = { requestId: 'limits', credentials: sts.createFunctionCredentials() };
  });
  afterAll(async () => {
    await oss.close();
    await sts.close();
  });
  beforeEach(() => oss.reset());

  async function ask(method: 'GET' | 'POST', contentType: string, body?: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const response = await handler(httpEvent({ method, headers: { ...bearer(await issuer.issue('alice')), ...(method === 'POST' ? { 'Content-Type': contentType } : {}) }, ...(body === undefined ? {} : { body }) }), context);
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  it('signs a V1 PutObject carrying x-oss-forbid-overwrite, and OSS then refuses to replace the object', async () => {
    const date = new Date().toUTCString();
    const put = (authorization: string, token: string, body: string) =>
      fetch(`${oss.url}/photos/users/alice/a.png`, { method: 'PUT', headers: { Date: date, 'Content-Type': 'image/png', 'x-oss-forbid-overwrite': 'true', 'x-oss-security-token': token, Authorization: authorization }, body });

    const refused = await ask('POST', 'text/plain', `PUT\n\ntext/html\n${date}\nx-oss-forbid-overwrite:true\n/photos/users/alice/a.png`);
    const signed = await ask('POST', 'text/plain', `PUT\n\nimage/png\n${date}\nx-oss-forbid-overwrite:true\n/photos/users/alice/a.png`);
    const token = String(signed.headers['x-oss-security-token']);

    expect([refused.status, JSON.parse(refused.body).ErrorCode]).toEqual([403, 'UploadNotAllowed']);
    expect(signed.status).toBe(200);
    expect((await put(signed.body, token, 'first')).status).toBe(200);
    const again = await put(signed.body, token, 'second');
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('<Code>FileAlreadyExists</Code>');
    expect(oss.objects('photos').get('users/alice/a.png')?.body.toString()).toBe('first');
  });

  it('holds a V4 canonical request to the same limits: OSS accepts the signed upload once and refuses to replace it', async () => {
    const session = JSON.parse((await ask('GET', '')).body) as { SecurityToken: string };
    const timestamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    const headersFor = (type: string, extra: Record<string, string>): Record<string, string> => ({ 'content-type': type, 'x-oss-date': timestamp, 'x-oss-security-token': session.SecurityToken, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', ...extra });
    const sign = async (headers: Record<string, string>) => {
      const answer = await ask('POST', 'application/json', JSON.stringify({ version: 'v4', canonicalRequest: aliOss.getCanonicalRequest('PUT', { headers, queries: {} }, 'photos', 'users/alice/b.png') }));
      return { status: answer.status, body: JSON.parse(answer.body) as Record<string, string> };
    };
    const accepted = headersFor('image/png', { 'x-oss-forbid-overwrite': 'true' });

    const html = await sign(headersFor('text/html', { 'x-oss-forbid-overwrite': 'true' }));
    const overwriting = await sign(headersFor('image/png', {}));
    const signed = await sign(accepted);
    const put = () => fetch(`${oss.url}/photos/users/alice/b.png`, { method: 'PUT', headers: { ...accepted, Authorization: signed.body['Authorization'] ?? '' }, body: 'png' });

    expect([html.status, html.body['ErrorCode']]).toEqual([403, 'UploadNotAllowed']);
    expect([overwriting.status, overwriting.body['ErrorCode']]).toEqual([403, 'UploadNotAllowed']);
    expect(signed.status).toBe(200);
    expect((await put()).status).toBe(200);
    expect((await put()).status).toBe(409);
    expect(oss.objects('photos').get('users/alice/b.png')?.contentType).toBe('image/png');
  });
});
