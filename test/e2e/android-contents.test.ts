/**
 * End to end, two contents the official Android SDK (2.9.20, custom signer) builds that OSS accepts and
 * sign-request must sign (../shared/notes/v4-and-fc3.md §7, issue 10 item 5): a key with `?` in it and
 * an empty metadata value. Each is signed in text mode, as `OSSCustomSignerCredentialProvider.signContent`
 * forwards it, then sent to the sandbox OSS (a legacy bucket: V1) with the token sign-request returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';

let sandbox: Sandbox;
let bucket: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, legacyV1: true, environment: {}, logger: { request() {}, event() {} } });
  bucket = sandbox.settings['TVM_BUCKET'] ?? '';
});
afterAll(() => sandbox.close());

/** Has sign-request sign `content` for alice (text mode) and sends the PUT it describes to OSS. */
async function signAndPut(content: string, key: string, headers: Record<string, string>): Promise<{ signStatus: number; signBody: string; putStatus: number }> {
  const bearer = await sandbox.issuer.issue('alice');
  const signed = await fetch(sandbox.functionUrls['sign-request'] ?? '', { method: 'POST', headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'text/plain' }, body: content });
  const signBody = await signed.text();
  if (signed.status !== 200) return { signStatus: signed.status, signBody, putStatus: 0 };
  const url = `${sandbox.oss?.url}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const put = await fetch(url, { method: 'PUT', headers: { ...headers, Authorization: signBody, 'x-oss-security-token': signed.headers.get('x-oss-security-token') ?? '' }, body: Buffer.from('from the Android SDK') });
  return { signStatus: signed.status, signBody, putStatus: put.status };
}

describe('contents of the official Android SDK, signed by sign-request and accepted by OSS', () => {
  it('a key with "?" in it and no sub-resources (users/alice/what?.txt)', async () => {
    // Prepare
    const date = new Date().toUTCString();
    const content = `PUT\n\ntext/plain\n${date}\n/${bucket}/users/alice/what?.txt`;
    // Act
    const outcome = await signAndPut(content, 'users/alice/what?.txt', { Date: date, 'Content-Type': 'text/plain' });
    // Assess
    expect([outcome.signStatus, outcome.putStatus], outcome.signBody).toEqual([200, 200]);
    expect(sandbox.oss?.objects(bucket).has('users/alice/what?.txt')).toBe(true);
  });

  it('an empty metadata value (x-oss-meta-empty:)', async () => {
    // Prepare
    const date = new Date().toUTCString();
    const content = `PUT\n\ntext/plain\n${date}\nx-oss-meta-empty:\n/${bucket}/users/alice/empty-meta.txt`;
    // Act
    const outcome = await signAndPut(content, 'users/alice/empty-meta.txt', { Date: date, 'Content-Type': 'text/plain', 'x-oss-meta-empty': '' });
    // Assess
    expect([outcome.signStatus, outcome.putStatus], outcome.signBody).toEqual([200, 200]);
    expect(sandbox.oss?.objects(bucket).get('users/alice/empty-meta.txt')?.meta).toEqual({ 'x-oss-meta-empty': '' });
  });
});
