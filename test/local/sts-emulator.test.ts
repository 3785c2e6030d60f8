import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StsEmulator } from '../../local/sts-emulator';
import type { EmulatorCredentials } from '../../local/sts-emulator';
import { formEncode, rpcSignature } from '../../shared/sts/rpc-signature';
import { loopbackCertificate } from '../helpers/tls';
import { oftenBe, oftenWithin } from '../helpers/often';
import { BINARY } from '../helpers/code-points';

type Parameters = Record<string, string>;
type Overrides = Record<string, string | undefined>;

interface StsAnswer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

const OSS_POLICY = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:my-bucket/users/alice/*'] }],
});
const START_MS = Date.parse('2030-01-01T00:00:00.750Z');
const APP_ROLE_ARN = 'acs:ram::1234567890123456:role/oss-tvm-app';
const ACCOUNT_ROOT = 'acs:ram::1234567890123456:root';
const MINUTE_MS = 60_000;

function isoSeconds(timeMs: number): string {
  return new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** AssumeRole parameters for `caller`, before signing; an `undefined` override removes the parameter. */
function assumeRoleParameters(caller: EmulatorCredentials, roleArn: string, nowMs: number, overrides: Overrides = {}): Parameters {
  const all: Overrides = {
    Action: 'AssumeRole',
    Format: 'JSON',
    Version: '2015-04-01',
    AccessKeyId: caller.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: isoSeconds(nowMs),
    SecurityToken: caller.securityToken,
    RoleArn: roleArn,
    RoleSessionName: 'alice',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function signed(parameters: Parameters, accessKeySecret: string, method: 'GET' | 'POST' = 'POST'): Parameters {
  return { ...parameters, Signature: rpcSignature(method, parameters, accessKeySecret) };
}

function without(parameters: Parameters, name: string): Parameters {
  return Object.fromEntries(Object.entries(parameters).filter(([key]) => key !== name));
}

async function toAnswer(response: Response): Promise<StsAnswer> {
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(text) as Record<string, unknown> };
}

async function postForm(url: string, parameters: Parameters, signal?: AbortSignal): Promise<StsAnswer> {
  return toAnswer(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formEncode(parameters),
      ...(signal ? { signal } : {}),
    }),
  );
}

async function getQuery(url: string, parameters: Parameters): Promise<StsAnswer> {
  return toAnswer(await fetch(`${url}/?${formEncode(parameters)}`));
}

function credentialsOf(answer: StsAnswer): Required<EmulatorCredentials> {
  const credentials = answer.body.Credentials as Record<string, string>;
  return {
    accessKeyId: credentials.AccessKeyId ?? '',
    accessKeySecret: credentials.AccessKeySecret ?? '',
    securityToken: credentials.SecurityToken ?? '',
  };
}

describe('StsEmulator AssumeRole', () => {
  let sts: StsEmulator;
  let nowMs = START_MS;
  let caller: EmulatorCredentials;
  let functionCaller: Required<EmulatorCredentials>;
  const longRoleArn = 'acs:ram::1234567890123456:role/long-sessions';

  beforeAll(async () => {
    // The app role trusts every RAM user and role of the account here, so a developer's RAM user may assume it.
    sts = await StsEmulator.start({ now: () => nowMs, roles: [{ arn: APP_ROLE_ARN, trustedPrincipals: [ACCOUNT_ROOT] }] });
    sts.addRole({ arn: longRoleArn, maxSessionDuration: 7200 });
    caller = sts.addAccessKey();
    functionCaller = sts.createFunctionCredentials();
  });
  afterAll(() => sts.close());
  beforeEach(() => {
    nowMs = START_MS;
  });

  function signedBy(who: EmulatorCredentials, overrides: Overrides = {}, method: 'GET' | 'POST' = 'POST'): Parameters {
    return signed(assumeRoleParameters(who, sts.defaultRoleArn, nowMs, overrides), who.accessKeySecret, method);
  }

  it('answers a signed request with credentials in STS JSON shape', async () => {
    // Prepare
    const parameters = signedBy(caller, { RoleSessionName: 'alice' });

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json;charset=utf-8');
    expect(answer.body).toEqual({
      RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/),
      AssumedRoleUser: {
        Arn: 'acs:ram::1234567890123456:role/oss-tvm-app/alice',
        AssumedRoleId: expect.stringMatching(/^\d{19}:alice$/),
      },
      Credentials: {
        AccessKeyId: expect.stringMatching(/^STS\.[A-Za-z0-9]{20,}$/),
        AccessKeySecret: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
        SecurityToken: expect.stringMatching(/^[A-Za-z0-9+/=]{300,}$/),
        Expiration: expect.any(String),
      },
    });
  });

  it('sets Expiration to now + DurationSeconds, in seconds without milliseconds', async () => {
    // Prepare
    nowMs = Date.parse('2030-01-01T00:00:00.750Z');
    const parameters = signedBy(caller, { DurationSeconds: '900' });

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
    expect(credentialsExpiration(answer)).toBe('2030-01-01T00:15:00Z');
  });

  it('defaults DurationSeconds to 3600', async () => {
    // Prepare
    const parameters = signedBy(caller);

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(credentialsExpiration(answer)).toBe('2030-01-01T01:00:00Z');
  });

  it('accepts DurationSeconds up to the role MaxSessionDuration', async () => {
    // Prepare
    const parameters = signed(
      assumeRoleParameters(caller, longRoleArn, nowMs, { DurationSeconds: '7200' }),
      caller.accessKeySecret,
    );

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
    expect(credentialsExpiration(answer)).toBe('2030-01-01T02:00:00Z');
  });

  it('accepts a session policy with "*" wildcards when the signature follows the specification', async () => {
    // Prepare
    const parameters = signedBy(caller, { Policy: OSS_POLICY });

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
    expect(sts.findIssued(credentialsOf(answer).accessKeyId)?.policy).toBe(OSS_POLICY);
  });

  it('accepts a policy with a Condition and a Deny statement', async () => {
    // Prepare
    const policy = JSON.stringify({
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'oss:ListObjects',
          Resource: 'acs:oss:*:*:my-bucket',
          Condition: { StringLike: { 'oss:Prefix': ['users/alice/*'] }, Bool: { 'acs:SecureTransport': true } },
        },
        { Effect: 'Deny', Action: ['oss:Delete*'], Resource: ['acs:oss:*:*:my-bucket/*'] },
      ],
    });

    // Act
    const answer = await postForm(sts.url, signedBy(caller, { Policy: policy }));

    // Assess
    expect(answer.status).toBe(200);
  });

  it('accepts a signed GET with the parameters in the query string', async () => {
    // Prepare
    const parameters = signedBy(caller, { Policy: OSS_POLICY }, 'GET');

    // Act
    const answer = await getQuery(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
  });

  it('merges the parameters of the query string and of the form body of a POST', async () => {
    // Prepare
    const parameters = signedBy(caller, { Policy: OSS_POLICY });
    const inQuery = { Action: parameters.Action ?? '', Version: parameters.Version ?? '' };
    const inBody = without(without(parameters, 'Action'), 'Version');

    // Act
    const response = await fetch(`${sts.url}/?${formEncode(inQuery)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: formEncode(inBody),
    });

    // Assess
    expect(response.status).toBe(200);
  });

  it('accepts a Timestamp with milliseconds, as POP does', async () => {
    // Prepare
    const parameters = signedBy(caller, { Timestamp: new Date(nowMs).toISOString() });

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
  });

  it('refuses a request whose parameter changed after signing with SignatureDoesNotMatch', async () => {
    // Prepare
    const tampered = { ...signedBy(caller, { RoleSessionName: 'alice' }), RoleSessionName: 'mallory' };

    // Act
    const answer = await postForm(sts.url, tampered);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      HostId: 'sts.aliyuncs.com',
      Code: 'SignatureDoesNotMatch',
      Message: 'Specified signature is not matched with our calculation.',
    });
  });

  it('refuses a request signed with another secret', async () => {
    // Prepare
    const parameters = signed(assumeRoleParameters(caller, sts.defaultRoleArn, nowMs), 'not-the-secret');

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.body.Code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a POST signed for GET: the HTTP method is part of the string to sign', async () => {
    // Prepare
    const parameters = signedBy(caller, {}, 'GET');

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.body.Code).toBe('SignatureDoesNotMatch');
  });

  interface RefusalCase {
    name: string;
    status: number;
    code: string;
    message?: string;
    parameters: () => Parameters;
  }

  const refusedWith = (name: string, status: number, code: string, overrides: Overrides): RefusalCase => ({
    name,
    status,
    code,
    parameters: () => signedBy(caller, overrides),
  });
  const commonParameters = ['Format', 'Version', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp'];
  const missingCommonParameters: RefusalCase[] = [
    ...commonParameters.map((name) => ({
      name: `${name} missing`,
      status: 400,
      code: 'MissingParameter',
      message: `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
      parameters: () => signedBy(caller, { [name]: undefined }),
    })),
    {
      name: 'Signature missing',
      status: 400,
      code: 'MissingParameter',
      message: 'The input parameter "Signature" that is mandatory for processing this request is not supplied.',
      parameters: () => without(signedBy(caller), 'Signature'),
    },
  ];
  const policyWith = (statement: Record<string, unknown>): string =>
    JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', ...statement }] });
  const badPolicies: Array<[string, string]> = [
    ['not JSON', '{"Version":"1",'],
    ['a JSON array', '[]'],
    ['Version "2"', JSON.stringify({ Version: '2', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] })],
    ['no Statement', JSON.stringify({ Version: '1' })],
    ['an empty Statement', JSON.stringify({ Version: '1', Statement: [] })],
    ['an unknown top-level key', JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }], Id: 'x' })],
    ['a Principal', policyWith({ Principal: { RAM: ['*'] } })],
    ['Effect "allow"', policyWith({ Effect: 'allow' })],
    ['no Action', policyWith({ Action: undefined })],
    ['an Action with a space', policyWith({ Action: 'oss:Get Object' })],
    ['an Action without a service', policyWith({ Action: 'GetObject' })],
    ['an empty Action list', policyWith({ Action: [] })],
    ['an empty Resource list', policyWith({ Resource: [] })],
    ['an empty Resource', policyWith({ Resource: [''] })],
    ['a Condition that is a string', policyWith({ Condition: 'x' })],
    ['an unknown Condition operator', policyWith({ Condition: { StringMatches: { 'oss:Prefix': 'a' } } })],
    ['a nested Condition value', policyWith({ Condition: { StringLike: { 'oss:Prefix': { a: 'b' } } } })],
  ];
  const refusals: RefusalCase[] = [
    ...missingCommonParameters,
    refusedWith('Version 2014-05-26', 400, 'InvalidVersion', { Version: '2014-05-26' }),
    refusedWith('SignatureMethod HMAC-SHA256', 400, 'InvalidParameter', { SignatureMethod: 'HMAC-SHA256' }),
    refusedWith('SignatureVersion 2.0', 400, 'InvalidParameter', { SignatureVersion: '2.0' }),
    refusedWith('Timestamp with a space', 400, 'InvalidTimeStamp.Format', { Timestamp: '2030-01-01 00:00:00Z' }),
    refusedWith('Timestamp without Z', 400, 'InvalidTimeStamp.Format', { Timestamp: '2030-01-01T00:00:00' }),
    refusedWith('Timestamp on February 30', 400, 'InvalidTimeStamp.Format', { Timestamp: '2030-02-30T00:00:00Z' }),
    refusedWith('Timestamp in epoch seconds', 400, 'InvalidTimeStamp.Format', { Timestamp: '1893456000' }),
    refusedWith('Timestamp 16 minutes old', 400, 'InvalidTimeStamp.Expired', { Timestamp: isoSeconds(START_MS - 16 * MINUTE_MS) }),
    refusedWith('Timestamp 16 minutes ahead', 400, 'InvalidTimeStamp.Expired', { Timestamp: isoSeconds(START_MS + 16 * MINUTE_MS) }),
    {
      name: 'unknown AccessKeyId',
      status: 404,
      code: 'InvalidAccessKeyId.NotFound',
      parameters: () => signedBy({ accessKeyId: 'LTAIunknown0000000000', accessKeySecret: 'whatever' }),
    },
    {
      name: 'STS AccessKeyId without SecurityToken',
      status: 400,
      code: 'MissingSecurityToken',
      message: 'SecurityToken is mandatory for this action.',
      parameters: () => signedBy(functionCaller, { SecurityToken: undefined }),
    },
    {
      name: 'SecurityToken of other credentials',
      status: 400,
      code: 'InvalidSecurityToken.MismatchWithAccessKey',
      parameters: () => signedBy(functionCaller, { SecurityToken: `${functionCaller.securityToken}x` }),
    },
    {
      name: 'SecurityToken with a long-term AccessKeyId',
      status: 400,
      code: 'InvalidSecurityToken.MismatchWithAccessKey',
      parameters: () => signedBy(caller, { SecurityToken: functionCaller.securityToken }),
    },
    refusedWith('Action GetCallerIdentity', 404, 'InvalidAction.NotFound', { Action: 'GetCallerIdentity' }),
    refusedWith('Action missing', 400, 'MissingParameter', { Action: undefined }),
    refusedWith('RoleArn missing', 400, 'MissingParameter', { RoleArn: undefined }),
    refusedWith('RoleArn of a user', 400, 'InvalidParameter.RoleArn', { RoleArn: 'acs:ram::1234567890123456:user/alice' }),
    refusedWith('RoleArn with a letter in the account', 400, 'InvalidParameter.RoleArn', { RoleArn: 'acs:ram::12345x:role/oss-tvm-app' }),
    refusedWith('RoleArn with a role path', 400, 'InvalidParameter.RoleArn', { RoleArn: 'acs:ram::1234567890123456:role/a/b' }),
    refusedWith('RoleArn of a role that does not exist', 404, 'EntityNotExist.Role', { RoleArn: 'acs:ram::1234567890123456:role/nobody' }),
    refusedWith('RoleSessionName missing', 400, 'MissingParameter', { RoleSessionName: undefined }),
    refusedWith('RoleSessionName of 1 character', 400, 'InvalidParameter.RoleSessionName', { RoleSessionName: 'a' }),
    refusedWith('RoleSessionName of 65 characters', 400, 'InvalidParameter.RoleSessionName', { RoleSessionName: 'a'.repeat(65) }),
    refusedWith('RoleSessionName with a space', 400, 'InvalidParameter.RoleSessionName', { RoleSessionName: 'alice smith' }),
    refusedWith('RoleSessionName with a slash', 400, 'InvalidParameter.RoleSessionName', { RoleSessionName: 'users/alice' }),
    ...['899', '3601', '1e3', '3600.0', '-900', 'one hour'].map((value) =>
      refusedWith(`DurationSeconds ${value}`, 400, 'InvalidParameter.DurationSeconds', { DurationSeconds: value }),
    ),
    refusedWith('Policy of 2049 characters', 400, 'InvalidParameter.PolicySize', { Policy: ' '.repeat(2049) }),
    ...badPolicies.map(([name, policy]) =>
      refusedWith(`Policy with ${name}`, 400, 'InvalidParameter.PolicyGrammar', { Policy: policy }),
    ),
  ];

  it.each(refusals)('refuses $name with $status $code', async ({ status, code, message, parameters }) => {
    // Prepare
    const request = parameters();

    // Act
    const answer = await postForm(sts.url, request);

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.contentType).toBe('application/json;charset=utf-8');
    expect(answer.body).toEqual({
      RequestId: expect.any(String),
      HostId: 'sts.aliyuncs.com',
      Code: code,
      Message: message ?? expect.any(String),
    });
  });

  it('accepts RoleSessionName of 2 and of 64 characters, and "Role/" in any case', async () => {
    // Prepare
    const roleArn = sts.defaultRoleArn.replace('role/', 'Role/');
    const requests = [
      signedBy(caller, { RoleSessionName: 'ab' }),
      signedBy(caller, { RoleSessionName: `${'a'.repeat(60)}.@_-` }),
      signed(assumeRoleParameters(caller, roleArn, nowMs), caller.accessKeySecret),
    ];

    // Act
    const answers = await Promise.all(requests.map((request) => postForm(sts.url, request)));

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
  });

  it('refuses a replayed SignatureNonce with SignatureNonceUsed', async () => {
    // Prepare
    const parameters = signedBy(caller);
    const first = await postForm(sts.url, parameters);

    // Act
    const replay = await postForm(sts.url, parameters);

    // Assess
    expect(first.status).toBe(200);
    expect(replay.status).toBe(400);
    expect(replay.body.Code).toBe('SignatureNonceUsed');
  });

  it('does not burn a nonce on a request whose signature is wrong', async () => {
    // Prepare
    const parameters = signedBy(caller);
    await postForm(sts.url, { ...parameters, Signature: 'forged' });

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
  });

  it('accepts Function Compute-like STS credentials with their SecurityToken', async () => {
    // Prepare
    const parameters = signedBy(functionCaller, { Policy: OSS_POLICY });

    // Act
    const answer = await postForm(sts.url, parameters);

    // Assess
    expect(answer.status).toBe(200);
    expect(sts.findIssued(credentialsOf(answer).accessKeyId)?.callerAccessKeyId).toBe(functionCaller.accessKeyId);
  });

  it('accepts credentials it issued as the caller (role chaining)', async () => {
    // Prepare
    const firstHop = credentialsOf(await postForm(sts.url, signedBy(caller)));

    // Act
    const secondHop = await postForm(sts.url, signedBy(firstHop, { RoleSessionName: 'chained' }));

    // Assess
    expect(secondHop.status).toBe(200);
    expect(sts.findIssued(credentialsOf(secondHop).accessKeyId)).toMatchObject({
      roleSessionName: 'chained',
      callerAccessKeyId: firstHop.accessKeyId,
    });
  });

  it('refuses issued credentials once they expired with InvalidSecurityToken.Expired', async () => {
    // Prepare
    const issued = credentialsOf(await postForm(sts.url, signedBy(caller, { DurationSeconds: '900' })));
    nowMs += 901_000;

    // Act
    const answer = await postForm(sts.url, signedBy(issued));

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.Code).toBe('InvalidSecurityToken.Expired');
  });

  it('records successful calls and finds the issued credentials by AccessKeyId', async () => {
    // Prepare
    sts.reset();

    // Act
    const answer = await postForm(sts.url, signedBy(caller, { RoleSessionName: 'bob', Policy: OSS_POLICY, DurationSeconds: '1200' }));

    // Assess
    const credentials = credentialsOf(answer);
    const record = {
      roleArn: sts.defaultRoleArn,
      roleSessionName: 'bob',
      policy: OSS_POLICY,
      durationSeconds: 1200,
      callerAccessKeyId: caller.accessKeyId,
      issued: { ...credentials, expiration: '2030-01-01T00:20:00Z' },
    };
    expect(sts.records).toEqual([record]);
    expect(sts.findIssued(credentials.accessKeyId)).toEqual(record);
    expect(sts.findIssued('STS.unknown')).toBeUndefined();
  });

  it('counts every AssumeRole request, and reset() clears counters and records but keeps keys and roles', async () => {
    // Prepare
    sts.reset();
    await postForm(sts.url, signedBy(caller));
    await postForm(sts.url, signedBy(caller, { RoleSessionName: 'x' }));
    await postForm(sts.url, signedBy(caller, { Action: 'GetCallerIdentity' }));
    const counted = { calls: sts.assumeRoleCalls, successes: sts.successfulCalls, records: sts.records.length };

    // Act
    sts.reset();
    const afterReset = { calls: sts.assumeRoleCalls, successes: sts.successfulCalls, records: sts.records.length };
    const stillWorks = await postForm(sts.url, signedBy(caller));

    // Assess
    expect(counted).toEqual({ calls: 2, successes: 1, records: 1 });
    expect(afterReset).toEqual({ calls: 0, successes: 0, records: 0 });
    expect(stillWorks.status).toBe(200);
  });

  it('refuses a path other than "/" with 404 InvalidAction.NotFound', async () => {
    // Prepare
    const parameters = signedBy(caller);

    // Act
    const answer = await postForm(`${sts.url}/v1/assume-role`, parameters);

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.Code).toBe('InvalidAction.NotFound');
  });

  it('refuses methods other than GET and POST', async () => {
    // Act
    const answer = await toAnswer(await fetch(sts.url, { method: 'PUT', body: formEncode(signedBy(caller)) }));

    // Assess
    expect(answer.status).toBe(405);
    expect(answer.body.Code).toBe('UnsupportedHTTPMethod');
  });

  it('ignores a POST body that is not form-encoded', async () => {
    // Act
    const answer = await toAnswer(
      await fetch(sts.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: formEncode(signedBy(caller)) }),
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.Code).toBe('MissingParameter');
  });

  it('refuses a body over 64 KiB with 413 or by closing the connection', async () => {
    // Prepare
    const parameters = signedBy(caller, { Policy: 'x'.repeat(70 * 1024) });

    // Act
    const outcome = await postForm(sts.url, parameters).then(
      (answer) => `${answer.status} ${String(answer.body.Code)}`,
      () => 'connection closed',
    );

    // Assess
    expect(['413 RequestEntityTooLarge', 'connection closed']).toContain(outcome);
  });
});

function credentialsExpiration(answer: StsAnswer): string | undefined {
  return (answer.body.Credentials as Record<string, string> | undefined)?.Expiration;
}

describe('StsEmulator trust policies', () => {
  const NO_PERMISSION = {
    status: 403,
    code: 'NoPermission',
    message: 'No permission perform sts:AssumeRole on this Role. Maybe you are not authorized to perform sts:AssumeRole or the specified role does not trust you',
  };
  let sts: StsEmulator;

  beforeAll(async () => {
    sts = await StsEmulator.start();
  });
  afterAll(() => sts.close());
  beforeEach(() => sts.reset());

  async function assumeRoleAs(caller: EmulatorCredentials, roleArn = sts.defaultRoleArn): Promise<StsAnswer> {
    return postForm(sts.url, signed(assumeRoleParameters(caller, roleArn, Date.now()), caller.accessKeySecret));
  }
  const refusalOf = (answer: StsAnswer): { status: number; code: unknown; message: unknown } => ({ status: answer.status, code: answer.body['Code'], message: answer.body['Message'] });

  it('lets the function role assume the app role, as README’s RAM setup trusts it', async () => {
    // Act
    const answer = await assumeRoleAs(sts.createFunctionCredentials());
    // Assess
    expect(sts.functionRoleArn).toBe('acs:ram::1234567890123456:role/oss-tvm-function');
    expect(answer.status).toBe(200);
  });

  it('refuses the app role’s own credentials with 403 NoPermission, issuing nothing', async () => {
    // Prepare: credentials of the app role, as vend-token hands them to an app
    const appCredentials = credentialsOf(await assumeRoleAs(sts.createFunctionCredentials()));
    // Act
    const answer = await assumeRoleAs(appCredentials);
    // Assess
    expect(refusalOf(answer)).toEqual(NO_PERMISSION);
    expect(sts.successfulCalls).toBe(1);
  });

  it('refuses a RAM user the app role does not trust with 403 NoPermission', async () => {
    // Act
    const answer = await assumeRoleAs(sts.addAccessKey('mallory'));
    // Assess
    expect(refusalOf(answer)).toEqual(NO_PERMISSION);
    expect(sts.successfulCalls).toBe(0);
  });

  it('lets a role trust named users only, or every RAM identity of the account through its root', async () => {
    // Prepare
    const named = 'acs:ram::1234567890123456:role/for-dev';
    const everyone = 'acs:ram::1234567890123456:role/for-account';
    sts.addRole({ arn: named, trustedPrincipals: ['acs:ram::1234567890123456:user/dev'] });
    sts.addRole({ arn: everyone, trustedPrincipals: ['acs:ram::1234567890123456:root'] });
    const dev = sts.addAccessKey('dev');
    const other = sts.addAccessKey('other');
    // Act
    const answers = await Promise.all([assumeRoleAs(dev, named), assumeRoleAs(other, named), assumeRoleAs(other, everyone), assumeRoleAs(sts.createFunctionCredentials(), everyone)]);
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 403, 200, 200]);
  });

  it('refuses a trusted principal that is not a RAM role, user or account root ARN', () => {
    // Act / Assess
    expect(() => sts.addRole({ arn: 'acs:ram::1234567890123456:role/odd', trustedPrincipals: ['fc.aliyuncs.com'] })).toThrow(new TypeError('Not a RAM principal ARN: fc.aliyuncs.com'));
  });
});

describe('StsEmulator faults', () => {
  let sts: StsEmulator;
  let caller: EmulatorCredentials;

  beforeAll(async () => {
    sts = await StsEmulator.start();
    caller = sts.createFunctionCredentials();
  });
  afterAll(() => sts.close());
  afterEach(() => {
    sts.setFault(null);
    sts.reset();
  });

  function assumeRole(overrides: Overrides = {}): Promise<Response> {
    const parameters = signed(assumeRoleParameters(caller, sts.defaultRoleArn, Date.now(), overrides), caller.accessKeySecret);
    return fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formEncode(parameters),
    });
  }

  async function statuses(requests: number): Promise<number[]> {
    const answered: number[] = [];
    for (let index = 0; index < requests; index += 1) answered.push((await assumeRole()).status);
    return answered;
  }

  it('throttle: answers 400 Throttling.User', async () => {
    // Prepare
    sts.setFault({ kind: 'throttle' });

    // Act
    const answer = await toAnswer(await assumeRole());

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      HostId: 'sts.aliyuncs.com',
      Code: 'Throttling.User',
      Message: 'Request was denied due to user flow control.',
    });
  });

  it('server-error: answers 500 InternalError by default', async () => {
    // Prepare
    sts.setFault({ kind: 'server-error' });

    // Act
    const answer = await toAnswer(await assumeRole());

    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ Code: 'InternalError', Message: 'STS Server Internal Error happened.' });
  });

  it('server-error: answers the given status', async () => {
    // Prepare
    sts.setFault({ kind: 'server-error', status: 503 });

    // Act
    const answer = await toAnswer(await assumeRole());

    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body.Code).toEqual(expect.any(String));
  });

  it('slow: answers correctly after delayMs', async () => {
    // Prepare
    sts.setFault({ kind: 'slow', delayMs: 150 });
    const startedAt = performance.now();

    // Act
    const response = await assumeRole();

    // Assess
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
  });

  it('malformed-json: answers 200 application/json with a body that is not JSON', async () => {
    // Prepare
    sts.setFault({ kind: 'malformed-json' });

    // Act
    const response = await assumeRole();
    const text = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('wrong-content-type: answers 200 text/html with an HTML body', async () => {
    // Prepare
    sts.setFault({ kind: 'wrong-content-type' });

    // Act
    const response = await assumeRole();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/^<html>/);
  });

  it('reset: destroys the connection, so fetch rejects', async () => {
    // Prepare
    sts.setFault({ kind: 'reset' });

    // Act
    const outcome = assumeRole();

    // Assess
    await expect(outcome).rejects.toThrow(TypeError);
    expect(sts.assumeRoleCalls).toBe(1);
  });

  it('applies a fault before validation, to unsigned requests too', async () => {
    // Prepare
    sts.setFault({ kind: 'throttle' });

    // Act
    const answer = await postForm(sts.url, { Action: 'AssumeRole' });

    // Assess
    expect(answer.body.Code).toBe('Throttling.User');
  });

  it('applies faults to AssumeRole requests only, and counts only those', async () => {
    // Prepare
    sts.setFault({ kind: 'throttle' });

    // Act
    const answer = await toAnswer(await assumeRole({ Action: 'GetCallerIdentity' }));

    // Assess
    expect(answer.body.Code).toBe('InvalidAction.NotFound');
    expect(sts.assumeRoleCalls).toBe(0);
  });

  it('count: applies the fault to the next N AssumeRole requests, then clears it', async () => {
    // Prepare
    sts.setFault({ kind: 'throttle' }, { count: 2 });

    // Act
    const answered = await statuses(3);

    // Assess
    expect(answered).toEqual([400, 400, 200]);
    expect(sts.assumeRoleCalls).toBe(3);
    expect(sts.successfulCalls).toBe(1);
  });

  it('probability 0: never applies the fault', async () => {
    // Prepare
    sts.setFault({ kind: 'throttle' }, { probability: 0 });

    // Act
    const answered = await statuses(20);

    // Assess
    expect(new Set(answered)).toEqual(new Set([200]));
  });

  it('probability 1: always applies the fault', async () => {
    // Prepare
    sts.setFault({ kind: 'server-error' }, { probability: 1 });

    // Act
    const answered = await statuses(20);

    // Assess
    expect(new Set(answered)).toEqual(new Set([500]));
    expect(sts.assumeRoleCalls).toBe(20);
  });

  it('refuses fault options out of range', () => {
    // Act & Assess
    expect(() => sts.setFault({ kind: 'throttle' }, { probability: 1.5 })).toThrow(RangeError);
    expect(() => sts.setFault({ kind: 'throttle' }, { count: -1 })).toThrow(RangeError);
    expect(() => sts.setFault({ kind: 'server-error', status: 200 })).toThrow(RangeError);
  });
});

describe('StsEmulator hang fault', () => {
  let sts: StsEmulator;

  beforeAll(async () => {
    sts = await StsEmulator.start();
  });
  afterAll(() => sts.close());

  it('keeps the request unanswered until the client gives up, and close() still completes', async () => {
    // Prepare
    sts.setFault({ kind: 'hang' });

    // Act
    const outcome = postForm(sts.url, { Action: 'AssumeRole' }, AbortSignal.timeout(200));

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'TimeoutError' });
    const hanging = postForm(sts.url, { Action: 'AssumeRole' }).catch(() => 'connection closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sts.close();
    await expect(hanging).resolves.toBe('connection closed');
  });
});

describe('StsEmulator latency', () => {
  let sts: StsEmulator;

  beforeAll(async () => {
    sts = await StsEmulator.start({ latencyMs: 100 });
  });
  afterAll(() => sts.close());

  it('adds latencyMs to every answer, errors included', async () => {
    // Prepare
    const startedAt = performance.now();

    // Act
    const answer = await postForm(sts.url, { Action: 'AssumeRole' });

    // Assess
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(95);
    expect(answer.body.Code).toBe('MissingParameter');
  });
});

describe('StsEmulator over HTTPS', () => {
  let sts: StsEmulator;
  let certificate: string;

  beforeAll(async () => {
    const tls = await loopbackCertificate();
    certificate = tls.cert;
    sts = await StsEmulator.start({ tls });
  });
  afterAll(() => sts.close());

  it('serves https:// with the given certificate', async () => {
    // Prepare
    const caller = sts.createFunctionCredentials();
    const body = formEncode(signed(assumeRoleParameters(caller, sts.defaultRoleArn, Date.now()), caller.accessKeySecret));

    // Act
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpsRequest(
        sts.url,
        { method: 'POST', ca: certificate, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        },
      );
      request.on('error', reject);
      request.end(body);
    });

    // Assess
    expect(sts.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(status).toBe(200);
  });
});

describe('StsEmulator under random input', () => {
  let sts: StsEmulator;

  beforeAll(async () => {
    sts = await StsEmulator.start();
    sts.addAccessKey();
  });
  afterAll(() => sts.close());

  const parameterName = fc.oneof(
    fc.constantFrom('Action', 'Format', 'Version', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce'),
    fc.constantFrom('Timestamp', 'Signature', 'SecurityToken', 'RoleArn', 'RoleSessionName', 'Policy', 'DurationSeconds'),
    fc.string(),
  );
  const parameterValue = fc.oneof(
    fc.constantFrom('AssumeRole', 'JSON', '2015-04-01', 'HMAC-SHA1', '1.0', '900', '{"Version":"1"}'),
    fc.constantFrom(isoSeconds(Date.now()), 'acs:ram::1234567890123456:role/oss-tvm-app', '__proto__', 'constructor'),
    fc.string({ unit: 'grapheme' }),
  );
  const parameterMap = fc.dictionary(parameterName, parameterValue, { maxKeys: 16 });
  const request = fc.oneof(
    fc.record({ method: fc.constant('POST'), body: parameterMap.map((map) => formEncode(map)) }),
    fc.record({ method: fc.constant('POST'), body: fc.string({ unit: BINARY, maxLength: 400 }) }),
    fc.record({ method: fc.constant('GET'), query: parameterMap.map((map) => formEncode(map)) }),
  );

  it('answers any request with a 4xx JSON error that has a Code and a RequestId, and never crashes', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        // Act
        const response =
          input.method === 'GET'
            ? await fetch(`${sts.url}/?${input.query}`)
            : await fetch(sts.url, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: input.body,
              });
        const answer = await toAnswer(response);

        // Assess
        oftenWithin(answer.status, 400, 500);
        oftenBe(answer.contentType, 'application/json;charset=utf-8');
        expect(answer.body).toMatchObject({ RequestId: expect.any(String), Code: expect.any(String) });
      }),
      { numRuns: 1000 },
    );
  }, 20_000);
});
