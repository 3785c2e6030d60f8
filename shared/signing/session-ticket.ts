/**
 * Session tickets: the signing credentials of a signing session, sealed for the client to hand
 * back with each V4 signature request.
 *
 * A V4 client builds its requests with a session's AccessKeyId and token before it asks for a
 * signature, so the signature must come from exactly those credentials. Two things break that
 * without a ticket: on Function Compute 3.0 each nodejs20 instance serves one request at a time
 * and keeps its own credential cache, so the session and the signature are often served by
 * different instances holding different credentials; and the cache renews credentials 10 minutes
 * before they expire, while the SDKs keep using a session until 5 minutes before, with no way to
 * be told to refresh early. A ticket carries the credentials themselves, encrypted and
 * authenticated (AES-256-GCM) with a key only the functions hold, and bound to the caller's
 * identity, scope and session policy: any instance can sign with them until they expire, and no
 * one else can use or read them.
 *
 * Tickets are issued only for scoped credentials (the caller's own, whose session policy OSS
 * enforces), never for the function role's.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { StsCredentials } from '../sts/sts-client';

/** The request header a client sends a ticket back in. */
export const SESSION_TICKET_HEADER = 'x-tvm-session-ticket';

/** Bytes of a ticket key: AES-256. */
export const SESSION_KEY_BYTES = 32;

/** What a ticket is bound to: only this caller, in this scope, under this session policy, may use it. */
export interface TicketBinding {
  readonly identity: string;
  readonly scope: string;
  /** The exact session policy JSON the credentials were issued with. */
  readonly policy: string;
}

const VERSION = 't1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Longer than any ticket of real STS credentials (a token is at most a few KiB); refused unread. */
const MAX_TICKET_CHARACTERS = 8192;

/**
 * Seals `credentials` into a ticket for `binding`.
 *
 * @example
 * ```ts
 * const ticket = sealSessionTicket(key, credentials, { identity: 'alice', scope: 'user', policy });
 * // later, on any instance with the same key:
 * const same = openSessionTicket(key, ticket, { identity: 'alice', scope: 'user', policy });
 * ```
 */
export function sealSessionTicket(key: Uint8Array, credentials: StsCredentials, binding: TicketBinding): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(binding));
  const plaintext = JSON.stringify({ a: credentials.accessKeyId, s: credentials.accessKeySecret, t: credentials.securityToken, e: credentials.expiration.getTime() });
  const sealed = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${sealed.toString('base64url')}`;
}

/**
 * The credentials sealed in `ticket`, or undefined when it is not a ticket this key sealed for
 * exactly this binding (forged, altered, truncated, another user's, another scope's, or sealed
 * under another policy or key). Expiry is the caller's to judge.
 */
export function openSessionTicket(key: Uint8Array, ticket: string, binding: TicketBinding): StsCredentials | undefined {
  if (ticket.length > MAX_TICKET_CHARACTERS || !ticket.startsWith(`${VERSION}.`)) return undefined;
  const encoded = ticket.slice(VERSION.length + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const sealed = Buffer.from(encoded, 'base64url');
  if (sealed.length <= IV_BYTES + TAG_BYTES || sealed.toString('base64url') !== encoded) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(binding));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    const fields = JSON.parse(plaintext) as { a: string; s: string; t: string; e: number };
    return { accessKeyId: fields.a, accessKeySecret: fields.s, securityToken: fields.t, expiration: new Date(fields.e) };
  } catch {
    return undefined;
  }
}

function associatedData(binding: TicketBinding): Buffer {
  const policy = createHash('sha256').update(binding.policy, 'utf8').digest('base64url');
  return Buffer.from(`oss-tvm session ticket\n${binding.identity}\n${binding.scope}\n${policy}`, 'utf8');
}
