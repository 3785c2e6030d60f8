/**
 * Every hostile V4 signing request is refused end to end, over HTTP through the sandbox, with its
 * exact status and ErrorCode, and no signature in the answer. One test per case, starting from a map
 * or canonical request that sign-request signs, changing one thing. Canonical requests are refused
 * alike with the caller's scoped credentials and with the function role's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { type PreparedV4, type RemoteSignerV4Info, type V4Identity, type V4Request, prepareHeaderAuth, preparePresigned, remoteSignerV4Info } from './clients/oss-v4-client';
import { type SignRequestAnswer, type SigningSession, identityOf, openSession, postJson } from './clients/sign-request-client';

const SCOPES = { user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete', 'list'] }, reader: { prefix: 'users/${sub}/', actions: ['read'] } };
const QUIET = { request() {}, event() {} };

let scoped: Sandbox;
let functionMode: Sandbox;

beforeAll(async () => {
  const environment = { TVM_SCOPES: JSON.stringify(SCOPES), TVM_DEFAULT_SCOPE: 'user' };
  scoped = await startSandbox({ port: 0, environment, logger: QUIET });
  functionMode = await startSandbox({ port: 0, environment: { ...environment, TVM_SIGNING_CREDENTIALS: 'function' }, logger: QUIET });
});
afterAll(async () => {
  await scoped.close();
  await functionMode.close();
});

/** Alice's bearer token, signing session and a RemoteSignerV4 map sign-request signs: a PUT under her prefix, now. */
async function aliceMap(sandbox: Sandbox, now = new Date()): Promise<{ bearer: string; session: SigningSession; map: RemoteSignerV4Info }> {
  const bearer = await sandbox.issuer.issue('alice');
  const session = await openSession(sandbox.functionUrls['sign-request'] ?? '', bearer);
  const prepared = prepareHeaderAuth({ method: 'PUT', bucket: session.bucket, key: 'users/alice/a.txt', headers: { 'Content-Type': 'text/plain' } }, identityOf(session), now);
  return { bearer, session, map: remoteSignerV4Info(prepared, identityOf(session)) };
}

/** `stringToSign` with line `index` (0..3) replaced. */
function withLine(stringToSign: string, index: number, replace: (line: string) => string): string {
  return stringToSign.split('\n').map((line, at) => (at === index ? replace(line) : line)).join('\n');
}

function expectRefused(answer: SignRequestAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body['ErrorCode'] }, JSON.stringify(answer.body)).toEqual({ status, code });
  expect(answer.body['signature']).toBeUndefined();
  expect(answer.body['ErrorMessage']).toEqual(expect.any(String));
}

describe('hash-only V4 (a RemoteSignerV4 map) refuses, end to end', () => {
  async function postMap(change: (map: RemoteSignerV4Info, session: SigningSession) => unknown, sandbox = scoped): Promise<SignRequestAnswer> {
    const { bearer, session, map } = await aliceMap(sandbox);
    return postJson(sandbox.functionUrls['sign-request'] ?? '', bearer, change(map, session), session);
  }

  it('signs the unchanged map (the baseline every case below changes one thing of)', async () => {
    const answer = await postMap((map) => map);
    expect(answer.status).toBe(200);
    expect(answer.body['signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('any map in function mode: 403 SigningModeNotAllowed', async () => {
    expectRefused(await postMap((map) => map, functionMode), 403, 'SigningModeNotAllowed');
  });

  it('a string to sign of three lines: 400 MalformedStringToSign', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: map.stringToSign.split('\n').slice(0, 3).join('\n') })), 400, 'MalformedStringToSign');
  });

  it('a string to sign of five lines: 400 MalformedStringToSign', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: `${map.stringToSign}\nextra` })), 400, 'MalformedStringToSign');
  });

  it('another algorithm line: 400 MalformedStringToSign', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: withLine(map.stringToSign, 0, () => 'OSS4-HMAC-SHA1') })), 400, 'MalformedStringToSign');
  });

  it('a timestamp line that is not yyyyMMddTHHmmssZ: 400 MalformedStringToSign', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: withLine(map.stringToSign, 1, (line) => line.replace('T', ' ')) })), 400, 'MalformedStringToSign');
  });

  it('a hash line that is not 64 lowercase hex: 400 MalformedStringToSign', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: withLine(map.stringToSign, 3, (line) => line.toUpperCase()) })), 400, 'MalformedStringToSign');
  });

  it('another region in the scope line: 403 RegionNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: withLine(map.stringToSign, 2, (line) => line.replace('cn-hangzhou', 'cn-beijing')) })), 403, 'RegionNotAllowed');
  });

  it('another region in the map: 403 RegionNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, region: 'cn-beijing' })), 403, 'RegionNotAllowed');
  });

  it('another product in the scope line: 403 ProductNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, stringToSign: withLine(map.stringToSign, 2, (line) => line.replace('/oss/', '/sts/')) })), 403, 'ProductNotAllowed');
  });

  it('another product in the map: 403 ProductNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, product: 'sts' })), 403, 'ProductNotAllowed');
  });

  it('a map date other than the scope line’s: 403 CredentialScopeMismatch', async () => {
    expectRefused(await postMap((map) => ({ ...map, date: '20200101' })), 403, 'CredentialScopeMismatch');
  });

  it('a scope date other than the timestamp’s: 403 CredentialScopeMismatch', async () => {
    expectRefused(await postMap((map) => ({ ...map, date: '20200101', stringToSign: withLine(map.stringToSign, 2, (line) => `20200101${line.slice(8)}`) })), 403, 'CredentialScopeMismatch');
  });

  it('a timestamp 20 minutes off: 403 DateOutOfRange with the server time in the body and the Date header', async () => {
    // Prepare
    const { bearer, session, map } = await aliceMap(scoped, new Date(Date.now() - 20 * 60_000));
    // Act
    const answer = await postJson(scoped.functionUrls['sign-request'] ?? '', bearer, map, session);
    // Assess
    expectRefused(answer, 403, 'DateOutOfRange');
    const serverTime = Date.parse(String(answer.body['ServerTime']));
    expect(Math.abs(serverTime - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(answer.headers.get('date') ?? '') - serverTime)).toBeLessThan(2_000);
  });

  it('another bucket: 403 BucketNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, bucket: 'someone-elses-bucket' })), 403, 'BucketNotAllowed');
  });

  it('a key under another user’s prefix: 403 KeyNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, key: 'users/bob/a.txt' })), 403, 'KeyNotAllowed');
  });

  it('a key that climbs out of the prefix with "..": 403 KeyNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, key: 'users/alice/../bob/a.txt' })), 403, 'KeyNotAllowed');
  });

  it('no key (a bucket-level request such as a listing): 403 ListingNotSignable', async () => {
    expectRefused(await postMap((map) => ({ ...map, method: 'GET', key: '' })), 403, 'ListingNotSignable');
  });

  it('a verb other than GET, HEAD, PUT, POST, DELETE: 403 VerbNotAllowed', async () => {
    expectRefused(await postMap((map) => ({ ...map, method: 'PATCH' })), 403, 'VerbNotAllowed');
  });

  it('an AccessKeyId other than the signing credentials’: 409 SecurityTokenMismatch with the current AccessKeyId and SecurityToken', async () => {
    // Prepare
    const { bearer, session, map } = await aliceMap(scoped);
    // Act
    const answer = await postJson(scoped.functionUrls['sign-request'] ?? '', bearer, { ...map, accessKeyId: 'STS.NotTheCurrentOne' }, session);
    // Assess
    expectRefused(answer, 409, 'SecurityTokenMismatch');
    expect(answer.body).toMatchObject({ AccessKeyId: session.accessKeyId, SecurityToken: session.securityToken });
  });

  it('a map with a field the SDK does not send: 400 MalformedRequest', async () => {
    expectRefused(await postMap((map) => ({ ...map, callbackUrl: 'https://attacker.example/' })), 400, 'MalformedRequest');
  });

  it('a map with a field that is not a string: 400 MalformedRequest', async () => {
    expectRefused(await postMap((map) => ({ ...map, key: ['users/alice/a.txt'] })), 400, 'MalformedRequest');
  });

  it('a map without its accessKeyId: 400 MalformedRequest', async () => {
    expectRefused(await postMap(({ accessKeyId: _omitted, ...rest }) => rest), 400, 'MalformedRequest');
  });
});

describe.each([['scoped'], ['function']] as const)('canonical-request V4 refuses, end to end, with TVM_SIGNING_CREDENTIALS=%s', (mode) => {
  const sandbox = (): Sandbox => (mode === 'scoped' ? scoped : functionMode);

  /**
   * Opens alice's session (for `scope`), builds the canonical request from her identity and posts it
   * (as `{"version":"v4","canonicalRequest"}`, or as `body` makes it).
   */
  async function postCanonical(build: (session: SigningSession, identity: V4Identity) => PreparedV4 | string, options: { body?: (canonicalRequest: string) => unknown; scope?: string } = {}): Promise<SignRequestAnswer> {
    const bearer = await sandbox().issuer.issue('alice');
    const url = `${sandbox().functionUrls['sign-request'] ?? ''}${options.scope ? `?scope=${options.scope}` : ''}`;
    const session = await openSession(url, bearer);
    const built = build(session, identityOf(session));
    const canonicalRequest = typeof built === 'string' ? built : built.canonicalRequest;
    return postJson(url, bearer, options.body ? options.body(canonicalRequest) : { version: 'v4', canonicalRequest }, session);
  }
  /** Alice's PUT of users/alice/a.txt, header-signed at `now`, with `change` applied to the request first. */
  const put = (change: (request: V4Request) => V4Request = (request) => request, now = new Date()) => (session: SigningSession, identity: V4Identity): PreparedV4 =>
    prepareHeaderAuth(change({ method: 'PUT', bucket: session.bucket, key: 'users/alice/a.txt', headers: { 'Content-Type': 'text/plain' } }), identity, now);
  /** The same, with headers added. */
  const putWith = (headers: Record<string, string>) => put((request) => ({ ...request, headers: { ...request.headers, ...headers } }));
  /** The same, with query parameters. */
  const putWithQuery = (query: Record<string, string | null>) => put((request) => ({ ...request, query }));
  /** Alice's PUT with line `index` of its canonical request replaced. */
  const putWithLine = (index: number, replace: (line: string) => string) => (session: SigningSession, identity: V4Identity): string =>
    put()(session, identity).canonicalRequest.split('\n').map((line, at) => (at === index ? replace(line) : line)).join('\n');
  /** A presigned GET of alice's object, signed as `identity` makes her, valid `expiresSeconds` from `now`. */
  const presignedGet = (identity: (own: V4Identity) => V4Identity = (own) => own, expiresSeconds = 300, now = new Date()) => (session: SigningSession, own: V4Identity): PreparedV4 =>
    preparePresigned({ method: 'GET', bucket: session.bucket, key: 'users/alice/a.txt' }, identity(own), now, expiresSeconds);

  it('signs the unchanged PUT and presigned GET (the baselines every case below changes one thing of)', async () => {
    const answers = [await postCanonical(put()), await postCanonical(presignedGet())];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
  });

  it('a URI with lowercase percent-encoding: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical(putWithLine(1, (line) => `${line.slice(0, -'a.txt'.length)}a%2bb.txt`)), 400, 'MalformedStringToSign');
  });

  it('a URI with a character left unencoded: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical(putWithLine(1, (line) => `${line.slice(0, -'a.txt'.length)}a b.txt`)), 400, 'MalformedStringToSign');
  });

  it('a query not sorted: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical(putWithLine(2, () => 'uploadId=1&partNumber=1')), 400, 'MalformedStringToSign');
  });

  it('a query parameter written "name=" instead of its name alone: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical(putWithLine(2, () => 'uploads=')), 400, 'MalformedStringToSign');
  });

  it('header lines not sorted: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical((session, identity) => {
      const lines = put()(session, identity).canonicalRequest.split('\n');
      [lines[3], lines[4]] = [lines[4] ?? '', lines[3] ?? ''];
      return lines.join('\n');
    }), 400, 'MalformedStringToSign');
  });

  it('an additional header that is not among the header lines: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical((session, identity) => put()(session, identity).canonicalRequest.replace(/\n\n\nUNSIGNED-PAYLOAD$/, '\n\nhost\nUNSIGNED-PAYLOAD')), 400, 'MalformedStringToSign');
  });

  it('a payload hash other than the x-oss-content-sha256 header: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical((session, identity) => put()(session, identity).canonicalRequest.replace(/UNSIGNED-PAYLOAD$/, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')), 400, 'MalformedStringToSign');
  });

  it('no x-oss-date header in a header-signed request: 400 MalformedStringToSign', async () => {
    expectRefused(await postCanonical((session, identity) => put()(session, identity).canonicalRequest.replace(/x-oss-date:\d{8}T\d{6}Z\n/, '')), 400, 'MalformedStringToSign');
  });

  it('a canonical request over 8 KiB: 413 PayloadTooLarge', async () => {
    expectRefused(await postCanonical(putWith({ 'x-oss-meta-big': 'x'.repeat(2000), 'x-oss-meta-big2': 'x'.repeat(2000), 'x-oss-meta-big3': 'x'.repeat(2000), 'x-oss-meta-big4': 'x'.repeat(2000), 'x-oss-meta-big5': 'x'.repeat(2000) })), 413, 'PayloadTooLarge');
  });

  it('a body with a field besides version, canonicalRequest and scope: 400 MalformedRequest', async () => {
    expectRefused(await postCanonical(put(), { body: (canonicalRequest) => ({ version: 'v4', canonicalRequest, stringToSign: 'x' }) }), 400, 'MalformedRequest');
  });

  it('a verb other than GET, HEAD, PUT, POST, DELETE: 403 VerbNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, method: 'PATCH' }))), 403, 'VerbNotAllowed');
  });

  it('another bucket: 403 BucketNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, bucket: 'someone-elses-bucket' }))), 403, 'BucketNotAllowed');
  });

  it('a key under another user’s prefix: 403 KeyNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, key: 'users/bob/a.txt' }))), 403, 'KeyNotAllowed');
  });

  it('a key that climbs out of the prefix with "..": 403 KeyNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, key: 'users/alice/../bob/a.txt' }))), 403, 'KeyNotAllowed');
  });

  it('the acl sub-resource: 403 SubResourceNotAllowed', async () => {
    expectRefused(await postCanonical(putWithQuery({ acl: null })), 403, 'SubResourceNotAllowed');
  });

  it('image processing (x-oss-process): 403 SubResourceNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, method: 'GET', headers: {}, query: { 'x-oss-process': 'image/resize,w_100' } }))), 403, 'SubResourceNotAllowed');
  });

  it('a version (versionId): 403 SubResourceNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, method: 'GET', headers: {}, query: { versionId: 'null' } }))), 403, 'SubResourceNotAllowed');
  });

  it('V1’s security-token query parameter: 403 SubResourceNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, method: 'GET', headers: {}, query: { 'security-token': 'CAIS' } }))), 403, 'SubResourceNotAllowed');
  });

  it('x-oss-object-acl (a public object): 403 HeaderNotAllowed', async () => {
    expectRefused(await postCanonical(putWith({ 'x-oss-object-acl': 'public-read' })), 403, 'HeaderNotAllowed');
  });

  it('x-oss-copy-source (a copy of another user’s object): 403 HeaderNotAllowed', async () => {
    expectRefused(await postCanonical(putWith({ 'x-oss-copy-source': '/oss-tvm-sandbox/users/bob/secret.txt' })), 403, 'HeaderNotAllowed');
  });

  it('x-oss-callback (a callback to any URL): 403 HeaderNotAllowed', async () => {
    expectRefused(await postCanonical(putWith({ 'x-oss-callback': Buffer.from('{"callbackUrl":"https://attacker.example/"}').toString('base64') })), 403, 'HeaderNotAllowed');
  });

  it('x-oss-tagging: 403 HeaderNotAllowed', async () => {
    expectRefused(await postCanonical(putWith({ 'x-oss-tagging': 'a=1' })), 403, 'HeaderNotAllowed');
  });

  it('a PUT in a scope that grants only read: 403 OperationNotAllowed', async () => {
    expectRefused(await postCanonical(put(), { scope: 'reader' }), 403, 'OperationNotAllowed');
  });

  it('a listing without a prefix: 403 ListingNotSignable', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, method: 'GET', key: '', headers: {}, query: { 'list-type': '2' } }))), 403, 'ListingNotSignable');
  });

  it('a listing of another user’s prefix: 403 KeyNotAllowed', async () => {
    expectRefused(await postCanonical(put((request) => ({ ...request, method: 'GET', key: '', headers: {}, query: { 'list-type': '2', prefix: 'users/bob/' } }))), 403, 'KeyNotAllowed');
  });

  it('an x-oss-date 20 minutes off: 403 DateOutOfRange with ServerTime', async () => {
    const answer = await postCanonical(put(undefined, new Date(Date.now() - 20 * 60_000)));
    expectRefused(answer, 403, 'DateOutOfRange');
    expect(Math.abs(Date.parse(String(answer.body['ServerTime'])) - Date.now())).toBeLessThan(60_000);
  });

  it('a presigned URL valid 7 days, beyond TVM_SIGN_MAX_URL_TTL_SECONDS: 403 DateOutOfRange', async () => {
    expectRefused(await postCanonical(presignedGet(undefined, 604_800)), 403, 'DateOutOfRange');
  });

  it('a presigned URL whose credential names another region: 403 RegionNotAllowed', async () => {
    expectRefused(await postCanonical(presignedGet((own) => ({ ...own, region: 'cn-beijing' }))), 403, 'RegionNotAllowed');
  });

  it('a presigned URL whose credential names another product: 403 ProductNotAllowed', async () => {
    expectRefused(await postCanonical((session, own) => presignedGet()(session, own).canonicalRequest.replace('%2Foss%2Faliyun_v4_request', '%2Fsts%2Faliyun_v4_request')), 403, 'ProductNotAllowed');
  });

  it('a presigned URL whose credential date is not its x-oss-date’s day: 403 CredentialScopeMismatch', async () => {
    expectRefused(await postCanonical((session, own) => presignedGet()(session, own).canonicalRequest.replace(/x-oss-credential=([^&%]+)%2F\d{8}%2F/, 'x-oss-credential=$1%2F20200101%2F')), 403, 'CredentialScopeMismatch');
  });

  it('no x-oss-security-token header: 409 SecurityTokenMismatch with the current AccessKeyId and SecurityToken', async () => {
    const refused = await postCanonical((session, identity) => put()(session, { accessKeyId: identity.accessKeyId, region: identity.region }));
    expectRefused(refused, 409, 'SecurityTokenMismatch');
    expect(refused.body['AccessKeyId']).toEqual(expect.stringMatching(/^STS\./));
    expect(refused.body['SecurityToken']).toEqual(expect.any(String));
  });

  it('another security token: 409 SecurityTokenMismatch', async () => {
    expectRefused(await postCanonical((session, identity) => put()(session, { ...identity, securityToken: 'CAISnot-the-current-one' })), 409, 'SecurityTokenMismatch');
  });

  it('a presigned URL whose credential names another AccessKeyId: 409 SecurityTokenMismatch', async () => {
    expectRefused(await postCanonical(presignedGet((own) => ({ ...own, accessKeyId: 'STS.NotTheCurrentOne' }))), 409, 'SecurityTokenMismatch');
  });
});
