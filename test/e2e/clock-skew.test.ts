/**
 * A device whose clock is 16 minutes slow corrects itself from sign-request's DateOutOfRange answer
 * and then succeeds, end to end, as the SDKs do after OSS's RequestTimeTooSkewed:
 * - the classic Android SDK reads the answer's `Date` header and keeps the difference to its own clock
 *   (`DateUtil.setCurrentServerTime(parseRfc822Date(Date))`, OSSRequestTask.java and DateUtil.java,
 *   aliyun-oss-android-sdk commit 8cbaeedf), then signs with `currentFixedSkewedTimeInRFC822Format()`;
 * - the Kotlin v2 SDK signs at `Clock.System.now() + clockOffset` (SignerV4.kt `getSignTime`,
 *   alibabacloud-oss-kotlin-sdk-v2 commit 13cbeacb), so an app sets the offset from `ServerTime`.
 * The replayed clients below do the same with an injected clock; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { prepareHeaderAuth, remoteSignerV4Info, send } from './clients/oss-v4-client';
import { identityOf, openSession, postJson, signHashOnly } from './clients/sign-request-client';

const SLOW_MS = 16 * 60_000;
const QUIET = { request() {}, event() {} };

/** A device clock `offsetMs` off, and the correction the client learns, as DateUtil keeps it. */
class DeviceClock {
  private correctionMs = 0;

  constructor(private readonly offsetMs: number) {}

  /** What the client signs with: its own clock plus what it learnt. */
  now(): Date {
    return new Date(Date.now() + this.offsetMs + this.correctionMs);
  }

  /** `DateUtil.setCurrentServerTime(serverTime)`: from now on, sign at server time. */
  setServerTime(serverTimeMs: number): void {
    this.correctionMs = serverTimeMs - (Date.now() + this.offsetMs);
  }
}

describe('a V1 self-signing client with a clock 16 minutes slow (classic Android SDK, legacy bucket)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, legacyV1: true, environment: {}, logger: QUIET });
  });
  afterAll(() => sandbox.close());

  it('is refused with DateOutOfRange, takes the server time from the Date header, signs again and OSS accepts the upload', async () => {
    // Prepare
    const clock = new DeviceClock(-SLOW_MS);
    const bearer = await sandbox.issuer.issue('alice');
    const bucket = sandbox.settings['TVM_BUCKET'] ?? '';
    const signUrl = sandbox.functionUrls['sign-request'] ?? '';
    const contentFor = (date: string): string => `PUT\n\ntext/plain\n${date}\n/${bucket}/users/alice/skewed.txt`;
    const sign = (date: string): Promise<Response> => fetch(signUrl, { method: 'POST', headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'text/plain' }, body: contentFor(date) });

    // Act: the first try with the slow clock, then the correction, then the retry
    const firstDate = clock.now().toUTCString();
    const refused = await sign(firstDate);
    const refusal = (await refused.json()) as Record<string, unknown>;
    clock.setServerTime(Date.parse(refused.headers.get('date') ?? ''));
    const retryDate = clock.now().toUTCString();
    const signed = await sign(retryDate);
    const authorization = await signed.text();
    const uploaded = await fetch(`${sandbox.oss?.url}/${bucket}/users/alice/skewed.txt`, {
      method: 'PUT',
      headers: { Date: retryDate, 'Content-Type': 'text/plain', Authorization: authorization, 'x-oss-security-token': signed.headers.get('x-oss-security-token') ?? '' },
      body: Buffer.from('on time now'),
    });

    // Assess
    expect([refused.status, refusal['ErrorCode']]).toEqual([403, 'DateOutOfRange']);
    expect(Math.abs(Date.parse(String(refusal['ServerTime'])) - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(retryDate) - Date.now())).toBeLessThan(60_000);
    expect(signed.status).toBe(200);
    expect(uploaded.status).toBe(200);
    expect(sandbox.oss?.objects(bucket).get('users/alice/skewed.txt')?.body.toString()).toBe('on time now');
  });
});

describe('a RemoteSignerV4 client with a clock 16 minutes slow (Kotlin v2 SDK, V4-only bucket)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, environment: {}, logger: QUIET });
  });
  afterAll(() => sandbox.close());

  it('is refused with DateOutOfRange, sets its clock offset from ServerTime, signs again and OSS accepts the upload', async () => {
    // Prepare
    const clock = new DeviceClock(-SLOW_MS);
    const bearer = await sandbox.issuer.issue('alice');
    const signUrl = sandbox.functionUrls['sign-request'] ?? '';
    const session = await openSession(signUrl, bearer);
    const put = { method: 'PUT', bucket: session.bucket, key: 'users/alice/skewed-v4.txt', body: Buffer.from('on time now') };

    // Act: the SDK's map for the slow clock, the correction from ServerTime, then the retry
    const slow = prepareHeaderAuth(put, identityOf(session), clock.now());
    const refused = await postJson(signUrl, bearer, remoteSignerV4Info(slow, identityOf(session)), session);
    clock.setServerTime(Date.parse(String(refused.body['ServerTime'])));
    const { signed } = await signHashOnly(signUrl, bearer, session, put, clock.now());
    const uploaded = await send(session.endpoint, signed);

    // Assess
    expect([refused.status, refused.body['ErrorCode'], refused.body['signature']]).toEqual([403, 'DateOutOfRange', undefined]);
    expect(uploaded.status).toBe(200);
    expect(sandbox.oss?.objects(session.bucket).get('users/alice/skewed-v4.txt')?.body.toString()).toBe('on time now');
  });
});
