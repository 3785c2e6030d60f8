/** The objects one smoke run writes, and the requests it builds for the self-signing steps. */
import { describeRefusal } from './describe-failure';

/** The object keys of one smoke run. */
export interface SmokeObjectKeys {
  /** Written, read and deleted with the vended credentials: `<Prefix>oss-tvm-smoke-<stamp>.txt`. */
  readonly inside: string;
  /** Must be refused: at the bucket root, outside every user prefix. */
  readonly outside: string;
  /** Written with a V1 signature from sign-request: `<Prefix>oss-tvm-smoke-signed-<stamp>.txt`. */
  readonly signed: string;
  /** Written with a V4 signature from sign-request: `<Prefix>oss-tvm-smoke-signed-v4-<stamp>.txt`. */
  readonly signedV4: string;
}

/**
 * The keys a smoke run started at `now` uses under `prefix`; the stamp is `now` to the millisecond
 * (`20261123T090000123Z`), so runs do not collide and leftovers show when they were made. A run
 * that may not delete (`canDelete` false) uses fixed keys instead, so each run overwrites the
 * objects the last one had to leave.
 */
export function smokeObjectKeys(prefix: string, now: Date, canDelete = true): SmokeObjectKeys {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const suffix = canDelete ? `-${stamp}` : '';
  return {
    inside: `${prefix}oss-tvm-smoke${suffix}.txt`,
    outside: `oss-tvm-smoke-outside-${stamp}.txt`,
    signed: `${prefix}oss-tvm-smoke-signed${suffix}.txt`,
    signedV4: `${prefix}oss-tvm-smoke-signed-v4${suffix}.txt`,
  };
}

/** The content of a smoke object: one short line naming the run. */
export function smokeObjectContent(key: string): Buffer {
  return Buffer.from(`oss-tvm smoke test object ${key}\n`, 'utf8');
}

/** The parts of a PUT that its V1 string-to-sign covers, for the self-signing steps. */
export interface SignablePut {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly date: Date;
}

/**
 * The OSS V1 string-to-sign of a PutObject, as the Android SDK's custom signer hands it over: no
 * Content-MD5, no x-oss headers (sign-request adds the security token line), the RFC 1123 date and
 * the resource `/<bucket>/<key>` with the key unencoded.
 *
 * @example
 * ```ts
 * putStringToSign({ bucket: 'photos', key: 'users/alice/a.txt', contentType: 'text/plain', date: new Date('2024-11-27T06:40:30Z') });
 * // → 'PUT\n\ntext/plain\nWed, 27 Nov 2024 06:40:30 GMT\n/photos/users/alice/a.txt'
 * ```
 */
export function putStringToSign(put: SignablePut): string {
  return `PUT\n\n${put.contentType}\n${put.date.toUTCString()}\n/${put.bucket}/${put.key}`;
}

/** What sign-request answered in text mode, once checked. */
export type SignReplyCheck =
  | { readonly ok: true; readonly authorization: string; readonly securityToken: string; readonly credentialsExpiration?: string }
  | { readonly ok: false; readonly reason: string };

const V1_AUTHORIZATION = /^OSS [A-Za-z0-9.]+:[A-Za-z0-9+/]{27}=$/;

/**
 * Checks a sign-request text-mode answer: HTTP 200, a body that is exactly `OSS <AccessKeyId>:<signature>`
 * (an HMAC-SHA1 in base64), and the `x-oss-security-token` header. A refusal is reported by its status
 * and `ErrorCode`. Reasons never hold the signature or the token.
 *
 * @param status - the HTTP status.
 * @param headers - the response headers (a fetch `Headers`).
 * @param body - the response body as text.
 */
export function checkSignReply(status: number, headers: Headers, body: string): SignReplyCheck {
  if (status !== 200) return { ok: false, reason: describeRefusal(status, body) };
  if (!V1_AUTHORIZATION.test(body)) return { ok: false, reason: 'HTTP 200 but the body is not exactly "OSS <AccessKeyId>:<signature>"' };
  const securityToken = headers.get('x-oss-security-token');
  if (!securityToken) return { ok: false, reason: 'HTTP 200 but the x-oss-security-token header is missing' };
  const credentialsExpiration = headers.get('x-tvm-credentials-expiration');
  return { ok: true, authorization: body, securityToken, ...(credentialsExpiration ? { credentialsExpiration } : {}) };
}

/** A request ready for `fetch`. */
export interface PreparedRequest {
  readonly url: string;
  readonly init: RequestInit & { readonly headers: Record<string, string> };
}

/**
 * The PUT that carries sign-request's signature to OSS: the same Date and Content-Type that were
 * signed, `Authorization` as sign-request answered it, and the security token it returned as
 * `x-oss-security-token` (which the signature covers).
 */
export function signedPutRequest(put: {
  readonly url: string;
  readonly date: Date;
  readonly contentType: string;
  readonly authorization: string;
  readonly securityToken: string;
  readonly body: Uint8Array;
}): PreparedRequest {
  return {
    url: put.url,
    init: {
      method: 'PUT',
      headers: {
        Date: put.date.toUTCString(),
        'Content-Type': put.contentType,
        Authorization: put.authorization,
        'x-oss-security-token': put.securityToken,
      },
      body: put.body,
    },
  };
}
