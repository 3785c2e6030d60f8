/**
 * End to end, a RemoteSignerV4-style client (what the Kotlin v2 and Swift v2 SDKs do with a
 * `SignatureDelegate` that calls sign-request) against the sandbox's V4-only bucket: a signing session
 * for the AccessKeyId and token, the SDK's map to sign-request's hash-only mode, then the request to OSS.
 * The client is the tests' own (clients/oss-v4-client.ts, checked against the SDK's published vectors);
 * ali-oss signUtils is the oracle for every signature sign-request returns.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { aliOssSignUtils } from '../helpers/ali-oss';
import { type V4Request, prepareHeaderAuth, remoteSignerV4Info, send, withAuthorization } from './clients/oss-v4-client';
import { uploadInParts } from './clients/multipart-upload';
import { type SigningSession, identityOf, openSession, postJson, signHashOnly } from './clients/sign-request-client';

const SCOPES = { user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete', 'list'] } };

let sandbox: Sandbox;
let signUrl: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, environment: { TVM_SCOPES: JSON.stringify(SCOPES), TVM_DEFAULT_SCOPE: 'user' }, logger: { request() {}, event() {} } });
  signUrl = sandbox.functionUrls['sign-request'] ?? '';
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.oss?.reset());

/** A user's bearer token and signing session. */
async function userSession(subject: string): Promise<{ bearer: string; session: SigningSession }> {
  const bearer = await sandbox.issuer.issue(subject);
  return { bearer, session: await openSession(signUrl, bearer) };
}

/** Signs `request` hash-only for `subject` and sends it to the sandbox OSS; OSS's answer. */
async function signAndSend(bearer: string, session: SigningSession, request: V4Request): Promise<Response> {
  const { signed } = await signHashOnly(signUrl, bearer, session, request);
  return send(session.endpoint, signed);
}

describe('a RemoteSignerV4 client through sign-request’s hash-only mode, on a V4-only bucket', () => {
  it('opens a signing session that names the sandbox OSS, the bucket, the caller’s prefix and scoped STS credentials', async () => {
    // Act
    const { session } = await userSession('alice');
    // Assess
    expect(session).toMatchObject({ region: 'cn-hangzhou', bucket: sandbox.settings['TVM_BUCKET'], endpoint: sandbox.oss?.url, prefix: 'users/alice/' });
    expect(sandbox.sts?.findIssued(session.accessKeyId)?.issued.securityToken).toBe(session.securityToken);
  });

  it('puts and gets an object: OSS accepts the signatures, and ali-oss computes the same ones', async () => {
    // Prepare
    const { bearer, session } = await userSession('alice');
    const secret = sandbox.sts?.findIssued(session.accessKeyId)?.issued.accessKeySecret ?? '';
    const put: V4Request = { method: 'PUT', bucket: session.bucket, key: 'users/alice/remote signer+v4.txt', headers: { 'Content-Type': 'text/plain', 'x-oss-meta-via': 'RemoteSignerV4' }, body: 'signed hash-only' };
    // Act
    const putSigned = await signHashOnly(signUrl, bearer, session, put);
    const putAnswer = await send(session.endpoint, putSigned.signed);
    const getAnswer = await signAndSend(bearer, session, { method: 'GET', bucket: session.bucket, key: put.key });
    // Assess
    expect(putSigned.signature).toBe(aliOssSignUtils.getSignatureV4(secret, putSigned.info.date, 'cn-hangzhou', putSigned.info.stringToSign));
    expect(putAnswer.status).toBe(200);
    expect([getAnswer.status, await getAnswer.text()]).toEqual([200, 'signed hash-only']);
    expect(getAnswer.headers.get('x-oss-meta-via')).toBe('RemoteSignerV4');
  });

  it('uploads in parts (initiate, two parts, complete), each request signed hash-only, and reads back the bytes', async () => {
    // Prepare
    const { bearer, session } = await userSession('alice');
    const key = 'users/alice/parts.bin';
    const parts = [Buffer.alloc(100 * 1024, 1), Buffer.from('the last part')];
    // Act
    const upload = await uploadInParts((request) => signAndSend(bearer, session, request), session.bucket, key, parts);
    const got = await signAndSend(bearer, session, { method: 'GET', bucket: session.bucket, key });
    // Assess
    expect(upload.uploadId).not.toBe('');
    expect(upload.statuses).toEqual([200, 200, 200, 200]);
    expect(got.headers.get('x-oss-object-type')).toBe('Multipart');
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.concat(parts))).toBe(true);
  });

  it('cannot reach another user’s object with a map that lies about the key: the hash gets signed, OSS refuses alice’s scoped credentials', async () => {
    // Prepare: bob's object; alice hashes a GET of it, and her map names her own key instead
    const bob = await userSession('bob');
    expect((await signAndSend(bob.bearer, bob.session, { method: 'PUT', bucket: bob.session.bucket, key: 'users/bob/private.txt', body: 'bob' })).status).toBe(200);
    const alice = await userSession('alice');
    const prepared = prepareHeaderAuth({ method: 'GET', bucket: alice.session.bucket, key: 'users/bob/private.txt' }, identityOf(alice.session), new Date());
    const honestMap = remoteSignerV4Info(prepared, identityOf(alice.session));
    // Act
    const honest = await postJson(signUrl, alice.bearer, honestMap, alice.session);
    const lying = await postJson(signUrl, alice.bearer, { ...honestMap, key: 'users/alice/innocent.txt' }, alice.session);
    const sent = await send(alice.session.endpoint, withAuthorization(prepared, alice.session.accessKeyId, String(lying.body['signature'])));
    // Assess: sign-request refuses the honest map and cannot see the lie; OSS enforces alice's session policy
    expect([honest.status, honest.body['ErrorCode']]).toEqual([403, 'KeyNotAllowed']);
    expect(lying.status).toBe(200);
    expect(sent.status).toBe(403);
    expect(await sent.text()).toContain('<Code>AccessDenied</Code>');
  });
});
