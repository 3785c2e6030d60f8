/**
 * Every hostile V4 signing request is refused end to end, over HTTP through the sandbox, with its
 * exact status and ErrorCode, and no signature in the answer. One test per case, starting from a map
 * or canonical request that sign-request signs, changing one thing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { type RemoteSignerV4Info, prepareHeaderAuth, remoteSignerV4Info } from './clients/oss-v4-client';
import { type SignRequestAnswer, type SigningSession, identityOf, openSession, postJson } from './clients/sign-request-client';

const SCOPES = { user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete', 'list'] } };
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
    return postJson(sandbox.functionUrls['sign-request'] ?? '', bearer, change(map, session));
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
    const { bearer, map } = await aliceMap(scoped, new Date(Date.now() - 20 * 60_000));
    // Act
    const answer = await postJson(scoped.functionUrls['sign-request'] ?? '', bearer, map);
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
    const answer = await postJson(scoped.functionUrls['sign-request'] ?? '', bearer, { ...map, accessKeyId: 'STS.NotTheCurrentOne' });
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
