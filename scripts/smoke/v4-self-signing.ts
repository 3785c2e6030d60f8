/**
 * The V4 self-signing pieces of `npm run smoke`: the signing session's answer, the V4 canonical
 * request of a PUT as a client builds it, sign-request's answer to it, and the PUT that carries the
 * signature to OSS. V4 works on every bucket; buckets created since 2025-09-01 accept nothing else.
 */
import { uriEncode } from '../../shared/signing/canonical-request';
import { UNSIGNED_PAYLOAD, v4Timestamp } from '../../shared/signing/signature-v4';
import { describeRefusal } from './describe-failure';
import type { PreparedRequest } from './smoke-objects';

/** The signing session's answer (`GET /` on sign-request), once checked. */
export type SessionCheck =
  | { readonly ok: true; readonly accessKeyId: string; readonly securityToken: string; readonly expiration?: string; readonly ticket?: string }
  | { readonly ok: false; readonly reason: string };

/** The header that carries the session's `SessionTicket` back with each signature request of the session. */
export const SESSION_TICKET_HEADER = 'x-tvm-session-ticket';

/** sign-request's answer to a canonical request, once checked. */
export type CanonicalSignatureCheck = { readonly ok: true; readonly authorization: string; readonly signature: string } | { readonly ok: false; readonly reason: string };

/** The parts of a PUT its V4 canonical request covers. */
export interface SignableV4Put {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly date: Date;
  readonly securityToken: string;
}

function field(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Checks the signing session: HTTP 200 with an `AccessKeyId` and a `SecurityToken` (sign-request signs
 * with STS credentials in both modes), and its `SessionTicket` if any (scoped mode), which the signature
 * request must send back so that any instance signs with the session's credentials. A refusal is
 * reported by its status and `ErrorCode`.
 */
export function checkSessionReply(status: number, body: unknown): SessionCheck {
  if (status !== 200) return { ok: false, reason: `signing session: ${describeRefusal(status, body)}` };
  const accessKeyId = field(body, 'AccessKeyId');
  const securityToken = field(body, 'SecurityToken');
  if (accessKeyId === undefined || securityToken === undefined) return { ok: false, reason: 'signing session: HTTP 200 but without AccessKeyId and SecurityToken' };
  const expiration = field(body, 'Expiration');
  const ticket = field(body, 'SessionTicket');
  return { ok: true, accessKeyId, securityToken, ...(expiration === undefined ? {} : { expiration }), ...(ticket === undefined ? {} : { ticket }) };
}

/**
 * The V4 canonical request of a PutObject with header authentication: Content-Type, the unsigned
 * payload, the request time and the session's token as the signed headers, no additional headers.
 *
 * @example
 * ```ts
 * putCanonicalRequest({ bucket: 'photos', key: 'users/alice/a b.txt', contentType: 'text/plain', date: new Date('2026-11-23T09:00:00Z'), securityToken: 'CAIS…' });
 * // → 'PUT\n/photos/users/alice/a%20b.txt\n\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n' +
 * //   'x-oss-date:20261123T090000Z\nx-oss-security-token:CAIS…\n\n\nUNSIGNED-PAYLOAD'
 * ```
 */
export function putCanonicalRequest(put: SignableV4Put): string {
  const headers = `content-type:${put.contentType}\nx-oss-content-sha256:${UNSIGNED_PAYLOAD}\nx-oss-date:${v4Timestamp(put.date)}\nx-oss-security-token:${put.securityToken}\n`;
  return ['PUT', uriEncode(`/${put.bucket}/${put.key}`, true), '', headers, '', UNSIGNED_PAYLOAD].join('\n');
}

/**
 * Checks sign-request's answer to a canonical request: HTTP 200, a 64-hex `signature`, and an
 * `Authorization` for the session's AccessKeyId that ends with it. Reasons never hold the signature.
 */
export function checkCanonicalReply(status: number, body: unknown, accessKeyId: string): CanonicalSignatureCheck {
  if (status !== 200) return { ok: false, reason: describeRefusal(status, body) };
  const signature = field(body, 'signature') ?? '';
  const authorization = field(body, 'Authorization') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'HTTP 200 but the signature is not 64 lowercase hex digits' };
  if (!authorization.startsWith(`OSS4-HMAC-SHA256 Credential=${accessKeyId}/`) || !authorization.endsWith(`,Signature=${signature}`)) {
    return { ok: false, reason: 'HTTP 200 but the Authorization is not OSS4-HMAC-SHA256 for the session\'s AccessKeyId and signature' };
  }
  return { ok: true, authorization, signature };
}

/** The PUT that carries a V4 signature: exactly the headers its canonical request signed, and `Authorization`. */
export function signedV4PutRequest(put: SignableV4Put & { readonly url: string; readonly authorization: string; readonly body: Uint8Array }): PreparedRequest {
  return {
    url: put.url,
    init: {
      method: 'PUT',
      headers: {
        'Content-Type': put.contentType,
        'x-oss-content-sha256': UNSIGNED_PAYLOAD,
        'x-oss-date': v4Timestamp(put.date),
        'x-oss-security-token': put.securityToken,
        Authorization: put.authorization,
      },
      body: put.body,
    },
  };
}
