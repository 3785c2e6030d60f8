/**
 * Why oss-tvm signs its own STS requests instead of using `@alicloud/sts-sdk@1.0.2`: run against the
 * strict STS emulator, the SDK's defects show up as the answers real STS gives.
 */
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StsEmulator } from '../../local/sts-emulator';
import type { EmulatorCredentials } from '../../local/sts-emulator';
import { formEncode, rpcSignature } from '../../shared/sts/rpc-signature';
import { loopbackCertificate } from '../helpers/tls';

/** The part of `@alicloud/sts-sdk` (CommonJS, no typings) this test uses. */
interface StsSdkClient {
  assumeRole(
    roleArn: string,
    roleSessionName: string,
    policy?: string,
    durationSeconds?: number,
    runtimeOption?: { ignoreSSL?: boolean },
  ): Promise<Record<string, unknown>>;
}
interface StsSdkConfig {
  endpoint: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  credential?: { getCredential(): Promise<EmulatorCredentials> };
}
type StsSdkConstructor = new (config: StsSdkConfig) => StsSdkClient;

const StsSdk = createRequire(import.meta.url)('@alicloud/sts-sdk') as StsSdkConstructor;

/** sts-sdk's `ignoreSSL` is inverted: `false` is what turns certificate verification off. */
const ACCEPT_SELF_SIGNED = { ignoreSSL: false };

const POLICY_WITHOUT_WILDCARD = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:oss-cn-hangzhou:1234567890123456:my-bucket/users/alice/photo.jpg'] }],
});
const OSS_SESSION_POLICY =
  '{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:my-bucket/users/alice/*"]}]}';

describe('@alicloud/sts-sdk 1.0.2 is not used: it mis-signs every session policy containing "*", as real STS would see it', () => {
  let sts: StsEmulator;
  let certificate: string;
  let functionCredentials: Required<EmulatorCredentials>;

  beforeAll(async () => {
    const tls = await loopbackCertificate();
    certificate = tls.cert;
    sts = await StsEmulator.start({ tls });
    functionCredentials = sts.createFunctionCredentials();
  });
  afterAll(() => sts.close());
  afterEach(() => {
    sts.setFault(null);
    sts.reset();
  });

  /** sts-sdk takes `host:port` (it hard-codes https) and FC-style credentials only through `credential`. */
  function stsSdkWithFunctionCredentials(): StsSdkClient {
    return new StsSdk({
      endpoint: new URL(sts.url).host,
      credential: { getCredential: async () => ({ ...functionCredentials }) },
    });
  }

  it('(1) without "*" in the policy, sts-sdk signs as STS expects and gets credentials', async () => {
    // Prepare
    const client = stsSdkWithFunctionCredentials();

    // Act
    const answer = await client.assumeRole(sts.defaultRoleArn, 'alice', POLICY_WITHOUT_WILDCARD, 900, ACCEPT_SELF_SIGNED);

    // Assess
    expect(answer.Code).toBeUndefined();
    expect(answer.Credentials).toMatchObject({ AccessKeyId: expect.stringMatching(/^STS\./) });
    expect(sts.records[0]?.policy).toBe(POLICY_WITHOUT_WILDCARD);
  });

  it('(2) with a typical OSS session policy ("*" in Resource), sts-sdk gets SignatureDoesNotMatch, returned rather than thrown', async () => {
    // Prepare
    const client = stsSdkWithFunctionCredentials();

    // Act
    const answer = await client.assumeRole(sts.defaultRoleArn, 'alice', OSS_SESSION_POLICY, 900, ACCEPT_SELF_SIGNED);

    // Assess
    expect(answer).toMatchObject({
      Code: 'SignatureDoesNotMatch',
      Message: 'Specified signature is not matched with our calculation.',
    });
    expect(answer.Credentials).toBeUndefined();
    expect(sts.successfulCalls).toBe(0);
  });

  it('(3) the specification signature (rpcSignature) of the same policy is accepted', async () => {
    // Prepare
    const parameters: Record<string, string> = {
      Action: 'AssumeRole',
      Format: 'JSON',
      Version: '2015-04-01',
      AccessKeyId: functionCredentials.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      SecurityToken: functionCredentials.securityToken,
      RoleArn: sts.defaultRoleArn,
      RoleSessionName: 'alice',
      Policy: OSS_SESSION_POLICY,
      DurationSeconds: '900',
    };
    const body = formEncode({ ...parameters, Signature: rpcSignature('POST', parameters, functionCredentials.accessKeySecret) });

    // Act
    const answer = await postOverVerifiedTls(sts.url, body, certificate);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.Credentials).toMatchObject({ AccessKeyId: expect.stringMatching(/^STS\./) });
    expect(sts.records[0]?.policy).toBe(OSS_SESSION_POLICY);
  });

  it('silently ignores a top-level securityToken option, so STS answers MissingSecurityToken', async () => {
    // Prepare
    const client = new StsSdk({
      endpoint: new URL(sts.url).host,
      accessKeyId: functionCredentials.accessKeyId,
      accessKeySecret: functionCredentials.accessKeySecret,
      securityToken: functionCredentials.securityToken,
    });

    // Act
    const answer = await client.assumeRole(sts.defaultRoleArn, 'alice', POLICY_WITHOUT_WILDCARD, 900, ACCEPT_SELF_SIGNED);

    // Assess
    expect(answer.Code).toBe('MissingSecurityToken');
  });

  it('mis-signs its own retry after a 5xx: the previous Signature leaks into the string to sign', async () => {
    // Prepare
    sts.setFault({ kind: 'server-error' }, { count: 1 });
    const client = stsSdkWithFunctionCredentials();

    // Act
    const answer = await client.assumeRole(sts.defaultRoleArn, 'alice', POLICY_WITHOUT_WILDCARD, 900, ACCEPT_SELF_SIGNED);

    // Assess
    expect(sts.assumeRoleCalls).toBe(2);
    expect(answer.Code).toBe('SignatureDoesNotMatch');
  });

  it('has runtimeOption.ignoreSSL inverted: ignoreSSL true turns certificate verification on', async () => {
    // Prepare
    const client = stsSdkWithFunctionCredentials();

    // Act
    const outcome = client.assumeRole(sts.defaultRoleArn, 'alice', POLICY_WITHOUT_WILDCARD, 900, { ignoreSSL: true });

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/) });
    expect(sts.assumeRoleCalls).toBe(0);
  });
});

async function postOverVerifiedTls(
  url: string,
  body: string,
  ca: string,
): Promise<{ status: number | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
