/**
 * PostObject forms from sign-request: `POST /` with
 * `{"version": "v4" | "v1", "postObject": {"key" | "keyPrefix", "contentType"?, "contentLength"?}, "scope"?}`.
 * The caller's scope decides everything: the key must lie under its prefix and its session policy
 * must allow PutObject there, the upload must fit the scope's upload limits, and the policy the
 * server builds (see {@link buildPostPolicy}) pins exactly that; the answer is the form action URL
 * and the form fields in order, the file to be appended last.
 */
import { TvmError } from '../errors';
import { type HttpResponse, jsonResponse } from '../http/message';
import type { Invocation } from '../http/function-handler';
import { evaluatePolicy } from '../policy/evaluate-policy';
import { MAX_UPLOAD_BYTES, MEDIA_TYPE, forbidsOverwrite, requireUploadAccepted } from '../policy/upload-limits';
import type { AccessCredentials } from '../sts/sts-client';
import { isoSeconds } from '../time';
import { type VendingService, authorizeCaller, requireFunctionCredentials, scopedCredentials } from '../vending/caller-credentials';
import { ossV1Signature } from './oss-signature';
import { type PostKey, buildPostPolicy } from './post-policy';
import { V4_ALGORITHM, v4Credential, v4Scope, v4Signature, v4Timestamp } from './signature-v4';

/** What a PostObject request asks for. */
export interface PostObjectRequest {
  readonly mode: 'postObject';
  /** `v4`: OSS4-HMAC-SHA256 form fields; `v1`: OSSAccessKeyId/Signature, for buckets that still accept V1. */
  readonly version: 'v4' | 'v1';
  readonly target: PostKey;
  readonly contentType?: string;
  readonly contentLength?: number;
  readonly scope?: string;
}

/** A signed form: where to post it and its fields in order (the file goes last). */
export interface SignedPostObject {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly expiration: Date;
}

/** The status a successful form upload answers with: 200 and an empty body, which every client reads. */
export const POST_SUCCESS_STATUS = '200';

const POST_OBJECT_FIELDS = ['key', 'keyPrefix', 'contentType', 'contentLength'];
const MAX_KEY_BYTES = 1023;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Reads the `postObject` JSON body (its `scope` is the caller's business).
 *
 * @example
 * ```ts
 * readPostObjectRequest({ version: 'v4', postObject: { key: 'users/alice/cat.png', contentType: 'image/png', contentLength: 52_113 } });
 * ```
 * @throws {@link TvmError} 400 `MalformedRequest` naming what is wrong.
 */
export function readPostObjectRequest(body: Readonly<Record<string, unknown>>): Omit<PostObjectRequest, 'scope'> {
  const { version, postObject } = body;
  if (Object.keys(body).some((name) => name !== 'version' && name !== 'postObject' && name !== 'scope')) {
    throw malformed('A PostObject request may hold only "version", "postObject" and "scope".');
  }
  if (version !== 'v4' && version !== 'v1') throw malformed('A PostObject request needs "version": "v4" (or "v1" for a bucket that still accepts V1 signatures).');
  if (typeof postObject !== 'object' || postObject === null || Array.isArray(postObject)) {
    throw malformed('"postObject" must be an object: {"key": "...", "contentType": "...", "contentLength": <bytes>}.');
  }
  const fields = postObject as Record<string, unknown>;
  if (Object.keys(fields).some((name) => !POST_OBJECT_FIELDS.includes(name))) {
    throw malformed(`"postObject" may hold only ${POST_OBJECT_FIELDS.map((name) => `"${name}"`).join(', ')}; the server writes the policy's conditions itself.`);
  }
  const { key, keyPrefix, contentType, contentLength } = fields;
  if ((key === undefined) === (keyPrefix === undefined)) throw malformed('"postObject" needs exactly one of "key" (one object) and "keyPrefix" (any key under it).');
  const target = typeof key === 'string' ? { key } : typeof keyPrefix === 'string' ? { keyPrefix } : undefined;
  if (target === undefined) throw malformed(`"${key === undefined ? 'keyPrefix' : 'key'}" must be a string.`);
  if (contentType !== undefined && (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType))) {
    throw malformed('"contentType" must be a media type without parameters, such as image/png.');
  }
  if (contentLength !== undefined && (typeof contentLength !== 'number' || !Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw malformed('"contentLength" must be the file\'s size in bytes, a whole number.');
  }
  return {
    mode: 'postObject',
    version,
    target,
    ...(contentType === undefined ? {} : { contentType: contentType as string }),
    ...(contentLength === undefined ? {} : { contentLength: contentLength as number }),
  };
}

/**
 * Signs a PostObject form for the invocation's caller, or refuses it.
 *
 * @throws {@link TvmError} 400 `MalformedRequest` for a malformed key; 403 `KeyNotAllowed` outside
 *   the caller's prefix, `OperationNotAllowed` when the scope cannot write, `UploadNotAllowed`
 *   naming the limit an upload breaks; the caller and STS refusals of every signing path.
 */
export async function signPostObject(service: VendingService, invocation: Invocation, request: PostObjectRequest): Promise<SignedPostObject> {
  const { config } = service;
  const caller = await authorizeCaller(service, invocation, request.scope);
  const target = checkTarget(request.target, caller.policy.prefix);
  const where = 'key' in target ? target.key : target.keyPrefix;
  if (evaluatePolicy(caller.policy.document, 'oss:PutObject', `acs:oss:*:*:${config.bucket}/${where}`) !== 'allow') {
    throw new TvmError(403, 'OperationNotAllowed', 'Your access does not allow uploads (PutObject) here.');
  }
  const limits = caller.scope.definition.upload;
  requireUploadAccepted({ ...(request.contentLength === undefined ? {} : { bytes: request.contentLength }), contentType: request.contentType ?? '' }, limits);
  const maxBytes = Math.min(request.contentLength ?? MAX_UPLOAD_BYTES, limits?.maxBytes ?? MAX_UPLOAD_BYTES);
  if (request.contentLength !== undefined && request.contentLength > MAX_UPLOAD_BYTES) {
    throw new TvmError(403, 'UploadNotAllowed', `A form upload carries at most ${MAX_UPLOAD_BYTES} bytes (5 GiB); use a multipart upload with vend-token credentials.`);
  }
  invocation.log.operation = 'PostObject';
  const now = service.now();
  const ttlMs = config.signing.postPolicyTtlSeconds * 1000;
  const scoped = config.signing.credentials === 'scoped' ? (await scopedCredentials(service, invocation, caller, { now, validUntil: now + ttlMs })).credentials : undefined;
  const credentials: AccessCredentials = scoped ?? requireFunctionCredentials(invocation.functionCredentials);
  const expiration = new Date(Math.floor(Math.min(now + ttlMs, scoped?.expiration.getTime() ?? Number.POSITIVE_INFINITY) / 1000) * 1000);
  const signedAt = new Date(now);
  const date = v4Timestamp(signedAt);
  const credential = v4Credential(credentials.accessKeyId, v4Scope(date.slice(0, 8), config.region));
  const forbidOverwrite = forbidsOverwrite(limits);
  const policy = buildPostPolicy({
    bucket: config.bucket,
    target,
    maxBytes,
    ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
    forbidOverwrite,
    expiration,
    signature: request.version === 'v4' ? { version: 'v4', credential, date } : { version: 'v1' },
    ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
  });
  const signature: Record<string, string> =
    request.version === 'v4'
      ? { 'x-oss-signature-version': V4_ALGORITHM, 'x-oss-credential': credential, 'x-oss-date': date, 'x-oss-signature': v4Signature(credentials.accessKeySecret, date.slice(0, 8), config.region, policy.base64) }
      : { OSSAccessKeyId: credentials.accessKeyId, Signature: ossV1Signature(credentials.accessKeySecret, policy.base64) };
  const fields: Record<string, string> = {
    key: 'key' in target ? target.key : `${target.keyPrefix}\${filename}`,
    policy: policy.base64,
    ...signature,
    ...(credentials.securityToken === undefined ? {} : { 'x-oss-security-token': credentials.securityToken }),
    success_action_status: POST_SUCCESS_STATUS,
    ...(request.contentType === undefined ? {} : { 'Content-Type': request.contentType }),
    ...(forbidOverwrite ? { 'x-oss-forbid-overwrite': 'true' } : {}),
  };
  return { url: formActionUrl(config.ossEndpoint, config.bucket), fields, expiration };
}

/** `{"StatusCode":200,"Url","Fields","Expiration"}`, not to be cached. */
export function postObjectResponse(signed: SignedPostObject): HttpResponse {
  return jsonResponse(200, { StatusCode: 200, Url: signed.url, Fields: signed.fields, Expiration: isoSeconds(signed.expiration) });
}

/**
 * Where a form is posted: `https://<bucket>.<endpoint host>/` for an OSS endpoint, `<endpoint>/<bucket>`
 * (path style) for an IP address or localhost, such as the sandbox's, and the endpoint itself for a
 * custom domain, which is bound to one bucket.
 */
export function formActionUrl(ossEndpoint: string, bucket: string): string {
  const url = new URL(ossEndpoint);
  if (url.hostname === 'localhost' || /^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('[')) return `${url.origin}/${bucket}`;
  if (url.hostname.endsWith('.aliyuncs.com')) return `${url.protocol}//${bucket}.${url.host}/`;
  return `${url.origin}/`;
}

/** The target, checked: a well-formed key (or prefix ending in `/`) under the caller's prefix, without `.` or `..` segments. */
function checkTarget(target: PostKey, prefix: string): PostKey {
  const value = 'key' in target ? target.key : target.keyPrefix;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES || CONTROL.test(value) || !value.isWellFormed()) {
    throw malformed(`The ${'key' in target ? 'key' : 'keyPrefix'} must be 1 to ${MAX_KEY_BYTES} bytes of UTF-8 without control characters.`);
  }
  if (value.includes('${filename}')) throw malformed('A key or keyPrefix may not hold ${filename}; ask for a "keyPrefix" to let the file name choose the key.');
  if ('keyPrefix' in target && !value.endsWith('/')) throw malformed('A keyPrefix must end with "/".');
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) throw new TvmError(403, 'KeyNotAllowed', 'Object keys with "." or ".." segments are not signed.');
  if (!value.startsWith(prefix)) throw new TvmError(403, 'KeyNotAllowed', `Only uploads under ${prefix} are signed for you.`);
  return target;
}

function malformed(message: string): TvmError {
  return new TvmError(400, 'MalformedRequest', message);
}

