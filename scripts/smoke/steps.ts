/** The ten steps of `npm run smoke`, in order, as an app would take them. */
import { describeRequestError, ossErrorCode, parseJsonBody } from './describe-failure';
import { type SmokeOptions, functionUrl } from './options';
import { type OssClient, createOssClient } from './oss-client';
import { objectUrl } from './oss-endpoint';
import { type SmokeStep, StepFailure } from './runner';
import { type SmokeObjectKeys, checkSignReply, putStringToSign, signedPutRequest, smokeObjectContent, smokeObjectKeys } from './smoke-objects';
import { SESSION_TICKET_HEADER, checkCanonicalReply, checkSessionReply, putCanonicalRequest, signedV4PutRequest } from './v4-self-signing';
import { type VendedCredentials, checkVendTokenResponse } from './vend-token-response';

/** The limit for each request of a step, in milliseconds. */
export const SMOKE_REQUEST_TIMEOUT_MS = 15_000;

const SIGNED_CONTENT_TYPE = 'text/plain';
const DELETE_DENIED_HINT = 'vend-token said the scope grants delete, but OSS refused it: check the app role\'s permission policy';

interface Session {
  readonly credentials: VendedCredentials;
  /** Whether the scope grants delete; without it the objects stay, under fixed keys. */
  readonly canDelete: boolean;
  readonly endpoint: string;
  readonly keys: SmokeObjectKeys;
  readonly oss: OssClient;
}

interface SignedPut {
  readonly date: Date;
  readonly authorization: string;
  readonly securityToken: string;
  /** OSS refused the V1 signature as a bucket created since 2025-09-01 does: nothing was written. */
  readonly refusedAsV1?: boolean;
}

interface SignedV4Put {
  readonly date: Date;
  readonly authorization: string;
  readonly securityToken: string;
}

/** OSS's EC for a V1 signature on a bucket that accepts only V4 (help.aliyun.com/en/oss/user-guide/0002-00000080). */
const V1_NOT_SUPPORTED_EC = '0002-00000080';

/**
 * The smoke test's steps: (1) vend-token, (2) put, (3) get, (4) delete under the vended prefix with
 * ali-oss (V4), (5) a put outside the prefix that OSS must deny, (6) sign-request signs the V4
 * canonical request of a PUT (after a signing session), (7) that PUT is sent to OSS, which must accept
 * it, (8) sign-request signs a V1 PUT, (9) that PUT is sent to OSS, which accepts it on a legacy bucket
 * and refuses it with EC 0002-00000080 on a bucket created since 2025-09-01, (10) the signed objects
 * are deleted. Each step needs the ones before it.
 */
export function smokeSteps(options: SmokeOptions): SmokeStep[] {
  let session: Session | undefined;
  let signedPut: SignedPut | undefined;
  let signedV4Put: SignedV4Put | undefined;
  const current = (): Session => session ?? failed('needs the credentials of the vend-token step');
  const signed = (): SignedPut => signedPut ?? failed('needs the signature of the sign-request V1 step');
  const signedV4 = (): SignedV4Put => signedV4Put ?? failed('needs the signature of the sign-request V4 step');
  const signRequestUrl = functionUrl(options.signRequestUrl, options.scope);
  const send = async (url: string, init: RequestInit): Promise<{ response: Response; body: string }> => {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(SMOKE_REQUEST_TIMEOUT_MS) });
      return { response, body: await response.text() };
    } catch (error) {
      return failed(`${init.method ?? 'GET'} ${new URL(url).origin}: ${describeRequestError(error)}`);
    }
  };
  const oss = async <T>(description: string, operation: (client: OssClient) => Promise<T>, hintWhenDenied = ''): Promise<T> => {
    try {
      return await operation(current().oss);
    } catch (error) {
      const hint = hintWhenDenied && isAccessDenied(error) ? `; ${hintWhenDenied}` : '';
      return failed(`${description}: ${describeRequestError(error)}${hint}`);
    }
  };

  return [
    {
      name: 'vend-token',
      run: async ({ markSecret }) => {
        const { response, body } = await send(functionUrl(options.vendTokenUrl, options.scope), { method: 'GET', headers: { Authorization: `Bearer ${options.token}` } });
        const now = new Date();
        const check = checkVendTokenResponse(response.status, parseJsonBody(body), now);
        if (!check.ok) return failed(check.reason);
        const { credentials } = check;
        markSecret(credentials.AccessKeySecret);
        markSecret(credentials.SecurityToken);
        const endpoint = options.ossEndpoint ?? credentials.Endpoint;
        const canDelete = credentials.Actions?.includes('delete') ?? true;
        session = { credentials, endpoint, canDelete, keys: smokeObjectKeys(credentials.Prefix, now, canDelete), oss: createOssClient(credentials, endpoint, SMOKE_REQUEST_TIMEOUT_MS) };
        const endpointNote = options.ossEndpoint ? `${endpoint} (instead of ${credentials.Endpoint})` : endpoint;
        return `HTTP 200, bucket ${credentials.Bucket} in ${credentials.Region}, prefix ${credentials.Prefix}${credentials.Scope ? ` (scope ${credentials.Scope})` : ''}, expires ${credentials.Expiration}, endpoint ${endpointNote}`;
      },
    },
    {
      name: 'put',
      run: async () => {
        const { keys, endpoint } = current();
        const content = smokeObjectContent(keys.inside);
        const { res } = await oss(`${keys.inside} at ${endpoint}`, (client) => client.put(keys.inside, content, { mime: 'text/plain' }));
        return `${keys.inside} (${content.length} bytes): HTTP ${res.status}`;
      },
    },
    {
      name: 'get',
      run: async () => {
        const { keys } = current();
        const expected = smokeObjectContent(keys.inside);
        const { content } = await oss(keys.inside, (client) => client.get(keys.inside));
        if (!expected.equals(content)) return failed(`${keys.inside}: got ${content.length} bytes that differ from the ${expected.length} put`);
        return `${keys.inside}: ${content.length} bytes, identical to what was put`;
      },
    },
    {
      name: 'delete',
      run: async () => {
        const { keys, canDelete, credentials } = current();
        if (!canDelete) return keptBecauseNoDelete(keys.inside, credentials);
        const { res } = await oss(keys.inside, (client) => client.delete(keys.inside), DELETE_DENIED_HINT);
        return `${keys.inside}: HTTP ${res.status}`;
      },
    },
    {
      name: 'put outside prefix',
      run: async () => {
        const { keys, credentials, oss: client } = current();
        try {
          await client.put(keys.outside, smokeObjectContent(keys.outside), { mime: 'text/plain' });
        } catch (error) {
          if (isAccessDenied(error)) return `${keys.outside}: denied with HTTP 403 AccessDenied, as it should be`;
          return failed(`${keys.outside}: expected HTTP 403 AccessDenied, got ${describeRequestError(error)}`);
        }
        const cleanup = await client.delete(keys.outside).then(() => 'deleted it again', (error: unknown) => `could not delete it: ${describeRequestError(error)}`);
        return failed(`${keys.outside} was written although it is outside ${credentials.Prefix}: the credentials reach too far (${cleanup})`);
      },
    },
    {
      name: 'sign-request V4',
      run: async ({ markSecret }) => {
        const { keys, credentials } = current();
        const opened = await send(signRequestUrl, { method: 'GET', headers: { Authorization: `Bearer ${options.token}` } });
        const sessionCheck = checkSessionReply(opened.response.status, parseJsonBody(opened.body));
        if (!sessionCheck.ok) return failed(sessionCheck.reason);
        markSecret(sessionCheck.securityToken);
        if (sessionCheck.ticket !== undefined) markSecret(sessionCheck.ticket);
        const date = new Date();
        const put = { bucket: credentials.Bucket, key: keys.signedV4, contentType: SIGNED_CONTENT_TYPE, date, securityToken: sessionCheck.securityToken };
        const { response, body } = await send(signRequestUrl, {
          method: 'POST',
          headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json', ...(sessionCheck.ticket === undefined ? {} : { [SESSION_TICKET_HEADER]: sessionCheck.ticket }) },
          body: JSON.stringify({ version: 'v4', canonicalRequest: putCanonicalRequest(put) }),
        });
        const check = checkCanonicalReply(response.status, parseJsonBody(body), sessionCheck.accessKeyId);
        if (!check.ok) return failed(check.reason);
        markSecret(check.signature);
        signedV4Put = { date, authorization: check.authorization, securityToken: sessionCheck.securityToken };
        const expiry = sessionCheck.expiration ? `, signing credentials expire ${sessionCheck.expiration}` : '';
        return `HTTP 200, signed the canonical request of PUT /${credentials.Bucket}/${keys.signedV4} (OSS4-HMAC-SHA256, token from the signing session)${expiry}`;
      },
    },
    {
      name: 'signed put V4',
      run: async () => {
        const { keys, credentials, endpoint } = current();
        const { date, authorization, securityToken } = signedV4();
        const body = smokeObjectContent(keys.signedV4);
        const url = objectUrl(endpoint, credentials.Bucket, keys.signedV4);
        const request = signedV4PutRequest({ url, bucket: credentials.Bucket, key: keys.signedV4, contentType: SIGNED_CONTENT_TYPE, date, securityToken, authorization, body });
        const { response, body: answer } = await send(request.url, request.init);
        if (response.status !== 200) return failed(`${keys.signedV4}: ${describeOssRefusal(response, answer)}`);
        return `${keys.signedV4} (${body.length} bytes) to ${new URL(url).origin}: HTTP 200`;
      },
    },
    {
      name: 'sign-request V1',
      run: async ({ markSecret }) => {
        const { keys, credentials } = current();
        const date = new Date();
        const content = putStringToSign({ bucket: credentials.Bucket, key: keys.signed, contentType: SIGNED_CONTENT_TYPE, date });
        const { response, body } = await send(signRequestUrl, {
          method: 'POST',
          headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'text/plain' },
          body: content,
        });
        const check = checkSignReply(response.status, response.headers, body);
        if (!check.ok) return failed(check.reason);
        markSecret(check.authorization);
        markSecret(check.authorization.slice(check.authorization.lastIndexOf(':') + 1));
        markSecret(check.securityToken);
        signedPut = { date, authorization: check.authorization, securityToken: check.securityToken };
        const expiry = check.credentialsExpiration ? `, signing credentials expire ${check.credentialsExpiration}` : '';
        return `HTTP 200, signed PUT /${credentials.Bucket}/${keys.signed}, x-oss-security-token header present${expiry}`;
      },
    },
    {
      name: 'signed put V1',
      run: async () => {
        const { keys, credentials, endpoint } = current();
        const { date, authorization, securityToken } = signed();
        const body = smokeObjectContent(keys.signed);
        const url = objectUrl(endpoint, credentials.Bucket, keys.signed);
        const request = signedPutRequest({ url, date, contentType: SIGNED_CONTENT_TYPE, authorization, securityToken, body });
        const { response, body: answer } = await send(request.url, request.init);
        if (refusesV1(response, answer)) {
          signedPut = { ...signed(), refusedAsV1: true };
          return `${keys.signed}: refused with HTTP 403 ${V1_NOT_SUPPORTED_EC}: this bucket accepts only V4 signatures (created since 2025-09-01), so V1 self-signing cannot serve it`;
        }
        if (response.status !== 200) return failed(`${keys.signed}: ${describeOssRefusal(response, answer)}`);
        return `${keys.signed} (${body.length} bytes) to ${new URL(url).origin}: HTTP 200`;
      },
    },
    {
      name: 'delete signed puts',
      run: async () => {
        const { keys, canDelete, credentials } = current();
        const written = signed().refusedAsV1 ? [keys.signedV4] : [keys.signedV4, keys.signed];
        const notWritten = signed().refusedAsV1 ? ` (OSS wrote nothing to ${keys.signed})` : '';
        if (!canDelete) return `skipped: scope ${credentials.Scope ?? ''} grants no delete, so ${written.join(' and ')} stay (the next run overwrites them)${notWritten}`;
        const statuses: string[] = [];
        for (const key of written) statuses.push(`${key}: HTTP ${(await oss(key, (client) => client.delete(key), DELETE_DENIED_HINT)).res.status}`);
        return `${statuses.join(', ')}${notWritten}`;
      },
    },
  ];
}

function describeOssRefusal(response: Response, body: string): string {
  const code = ossErrorCode(body);
  const requestId = response.headers.get('x-oss-request-id');
  return `HTTP ${response.status}${code ? ` ${code}` : ''}${requestId ? ` (request ${requestId})` : ''}`;
}

function refusesV1(response: Response, body: string): boolean {
  return response.status === 403 && (response.headers.get('x-oss-ec') === V1_NOT_SUPPORTED_EC || body.includes(`<EC>${V1_NOT_SUPPORTED_EC}</EC>`));
}

function keptBecauseNoDelete(key: string, credentials: VendedCredentials): string {
  return `skipped: scope ${credentials.Scope ?? ''} grants no delete, so ${key} stays (the next run overwrites it)`;
}

function failed(reason: string): never {
  throw new StepFailure(reason);
}

function isAccessDenied(error: unknown): boolean {
  const { status, code } = (error ?? {}) as { status?: unknown; code?: unknown };
  return status === 403 && code === 'AccessDenied';
}
