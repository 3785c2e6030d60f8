/**
 * End to end, a canonical-request V4 client (plain HTTP, web, the README's snippets) against the
 * sandbox's V4-only bucket, in both credential modes: a signing session for the AccessKeyId and token,
 * the V4 canonical request to sign-request, then the request to OSS. The client is the tests' own
 * (clients/oss-v4-client.ts, checked against the Kotlin v2 SDK's vectors); ali-oss signUtils is the
 * oracle for every signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { aliOssSignUtils } from '../helpers/ali-oss';
import { type V4Request, requestUrl, send } from './clients/oss-v4-client';
import { uploadInParts } from './clients/multipart-upload';
import { type SigningSession, openSession, signCanonical } from './clients/sign-request-client';

const SCOPES = { user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete', 'list'] } };

describe.each([
  ['scoped', 'the caller’s scoped STS credentials'],
  ['function', 'the function role’s own credentials'],
] as const)('a canonical-request client, TVM_SIGNING_CREDENTIALS=%s (signing with %s), on a V4-only bucket', (mode, _signingWith) => {
  let sandbox: Sandbox;
  let signUrl: string;

  beforeAll(async () => {
    const environment = { TVM_SCOPES: JSON.stringify(SCOPES), TVM_DEFAULT_SCOPE: 'user', TVM_SIGNING_CREDENTIALS: mode };
    sandbox = await startSandbox({ port: 0, environment, logger: { request() {}, event() {} } });
    signUrl = sandbox.functionUrls['sign-request'] ?? '';
  });
  afterAll(() => sandbox.close());

  async function aliceSession(): Promise<{ bearer: string; session: SigningSession }> {
    const bearer = await sandbox.issuer.issue('alice');
    return { bearer, session: await openSession(signUrl, bearer) };
  }

  /** The secret behind the session's AccessKeyId, as the STS emulator holds it (issued or the function role's). */
  function secretOf(session: SigningSession): string {
    return sandbox.sts?.findIssued(session.accessKeyId)?.issued.accessKeySecret ?? sandbox.sts?.findRegistered(session.accessKeyId)?.accessKeySecret ?? '';
  }

  async function signAndSend(bearer: string, session: SigningSession, request: V4Request): Promise<Response> {
    const { signed } = await signCanonical(signUrl, bearer, session, request);
    return send(session.endpoint, signed);
  }

  it('opens a session on the credentials of its mode', async () => {
    // Act
    const { session } = await aliceSession();
    // Assess
    const issued = sandbox.sts?.findIssued(session.accessKeyId);
    if (mode === 'scoped') expect(issued?.policy).toContain('users/alice/');
    else expect(sandbox.sts?.findRegistered(session.accessKeyId)?.principal).toBe(sandbox.sts?.functionRoleArn);
    expect(session.securityToken).not.toBe('');
  });

  it('puts and gets an object; sign-request’s signature and Authorization are ali-oss’s', async () => {
    // Prepare
    const { bearer, session } = await aliceSession();
    const put: V4Request = { method: 'PUT', bucket: session.bucket, key: 'users/alice/canonical é+1.txt', headers: { 'Content-Type': 'text/plain', 'x-oss-meta-via': 'canonical' }, body: 'signed from the canonical request' };
    // Act
    const { signed, prepared, answer } = await signCanonical(signUrl, bearer, session, put);
    const stored = await send(session.endpoint, signed);
    const got = await signAndSend(bearer, session, { method: 'GET', bucket: session.bucket, key: put.key });
    // Assess
    const oracleCanonical = aliOssSignUtils.getCanonicalRequest('PUT', { headers: { ...prepared.request.headers } }, put.bucket, put.key);
    const oracleStringToSign = aliOssSignUtils.getStringToSign('cn-hangzhou', prepared.dateTime, oracleCanonical);
    expect(prepared.canonicalRequest).toBe(oracleCanonical);
    expect(answer.body['StringToSign']).toBe(oracleStringToSign);
    expect(answer.body['signature']).toBe(aliOssSignUtils.getSignatureV4(secretOf(session), prepared.dateTime.slice(0, 8), 'cn-hangzhou', oracleStringToSign));
    expect(answer.body['Authorization']).toBe(signed.headers?.['Authorization']);
    expect(answer.body['SecurityToken']).toBe(session.securityToken);
    expect(stored.status).toBe(200);
    expect([got.status, await got.text()]).toEqual([200, 'signed from the canonical request']);
  });

  it('uploads in parts (initiate, two parts, complete), every request signed from its canonical request, and reads back the bytes', async () => {
    // Prepare
    const { bearer, session } = await aliceSession();
    const key = 'users/alice/canonical-parts.bin';
    const parts = [Buffer.alloc(100 * 1024, 2), Buffer.from('the last part')];
    // Act
    const upload = await uploadInParts((request) => signAndSend(bearer, session, request), session.bucket, key, parts);
    const got = await signAndSend(bearer, session, { method: 'GET', bucket: session.bucket, key });
    // Assess
    expect(upload.uploadId).not.toBe('');
    expect(upload.statuses).toEqual([200, 200, 200, 200]);
    expect(got.headers.get('x-oss-object-type')).toBe('Multipart');
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.concat(parts))).toBe(true);
  });

  it('presigns a GET that works without credentials for its lifetime, and not once altered', async () => {
    // Prepare
    const { bearer, session } = await aliceSession();
    expect((await signAndSend(bearer, session, { method: 'PUT', bucket: session.bucket, key: 'users/alice/shared.txt', body: 'presigned v4' })).status).toBe(200);
    // Act
    const { signed, answer } = await signCanonical(signUrl, bearer, session, { method: 'GET', bucket: session.bucket, key: 'users/alice/shared.txt' }, { presignSeconds: 300 });
    const url = requestUrl(session.endpoint, signed);
    const fetched = await fetch(url);
    const altered = await fetch(url.replace('shared.txt', 'shared2.txt'));
    // Assess
    expect(answer.status).toBe(200);
    expect(url).toContain('x-oss-expires=300');
    expect(url).toContain('x-oss-security-token=');
    expect([fetched.status, await fetched.text()]).toEqual([200, 'presigned v4']);
    expect(altered.status).toBe(403);
    expect(await altered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('lists the caller’s own prefix with a signed ListObjectsV2', async () => {
    // Prepare
    const { bearer, session } = await aliceSession();
    expect((await signAndSend(bearer, session, { method: 'PUT', bucket: session.bucket, key: 'users/alice/listed.txt', body: 'x' })).status).toBe(200);
    // Act
    const listed = await signAndSend(bearer, session, { method: 'GET', bucket: session.bucket, key: '', query: { 'list-type': '2', prefix: 'users/alice/' } });
    // Assess
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain('<Key>users/alice/listed.txt</Key>');
  });
});
