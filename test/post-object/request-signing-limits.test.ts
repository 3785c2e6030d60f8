/**
 * Upload limits on signed requests: what a signature carries is held to the scope's limits. The
 * Content-Type of the operations that set an object's type, and `x-oss-forbid-overwrite: true` on
 * those that would replace one; end to end, OSS (the emulator) then refuses the overwrite.
 */
import { describe, expect, it } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import { buildSessionPolicy } from '../../shared/policy/session-policy';
import type { UploadLimits } from '../../shared/policy/upload-limits';
import { type SigningRules, authorizeStringToSign } from '../../shared/signing/authorize-signing';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { createLogger } from '../../shared/log';
import { createDemoIssuer } from '../../local/demo-issuer';
import { OssEmulator, credentialsFromSts } from '../../local/oss-emulator';
import { StsEmulator } from '../../local/sts-emulator';
import { appRolePermissionPolicy } from '../../shared/policy/role-policies';
import { bearer, httpEvent } from '../helpers/fc-events';
import { functionEnvironment } from '../helpers/function-environment';
import { refusal } from '../helpers/refusal';

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
  it('signs a V1 PutObject carrying x-oss-forbid-overwrite, and OSS then refuses to replace the object', async () => {
    const sts = await StsEmulator.start();
    const issuer = await createDemoIssuer('https://issuer.limits.example/', 'oss-tvm-limits');
    const scopes = { user: { prefix: 'users/${sub}/', actions: ['read', 'write'], upload: LIMITS } };
    const oss = await OssEmulator.start({ buckets: ['photos'], credentials: credentialsFromSts(sts), rolePolicies: { [sts.defaultRoleArn]: appRolePermissionPolicy(scopes as never, 'photos', 'sub') } });
    try {
      const handler = createSignRequestHandler(functionEnvironment(sts, issuer, { TVM_SCOPES: JSON.stringify(scopes) }), { logger: createLogger(() => undefined) });
      const context = { requestId: 'limits', credentials: sts.createFunctionCredentials() };
      const date = new Date().toUTCString();
      const sign = async (text: string) => handler(httpEvent({ method: 'POST', headers: { ...bearer(await issuer.issue('alice')), 'Content-Type': 'text/plain' }, body: text }), context);
      const put = (authorization: string, token: string, body: string) =>
        fetch(`${oss.url}/photos/users/alice/a.png`, { method: 'PUT', headers: { Date: date, 'Content-Type': 'image/png', 'x-oss-forbid-overwrite': 'true', 'x-oss-security-token': token, Authorization: authorization }, body });

      const refused = await sign(`PUT\n\ntext/html\n${date}\nx-oss-forbid-overwrite:true\n/photos/users/alice/a.png`);
      const signed = await sign(`PUT\n\nimage/png\n${date}\nx-oss-forbid-overwrite:true\n/photos/users/alice/a.png`);
      const token = String(signed.headers['x-oss-security-token']);

      expect([refused.statusCode, JSON.parse(refused.body).ErrorCode]).toEqual([403, 'UploadNotAllowed']);
      expect(signed.statusCode).toBe(200);
      expect((await put(signed.body, token, 'first')).status).toBe(200);
      const again = await put(signed.body, token, 'second');
      expect(again.status).toBe(409);
      expect(await again.text()).toContain('<Code>FileAlreadyExists</Code>');
      expect(oss.objects('photos').get('users/alice/a.png')?.body.toString()).toBe('first');
    } finally {
      await oss.close();
      await sts.close();
    }
  });
});
