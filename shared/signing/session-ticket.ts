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
import { createHash } from 'node:crypto';
import { SEALING_KEY_BYTES, openCredentials, sealCredentials } from '../sts/sealed-credentials';
import type { StsCredentials } from '../sts/sts-client';

/** The request header a client sends a ticket back in. */
export const SESSION_TICKET_HEADER = 'x-tvm-session-ticket';

/** Bytes of a ticket key: AES-256. */
export const SESSION_KEY_BYTES = SEALING_KEY_BYTES;

/** What a ticket is bound to: only this caller, in this scope, under this session policy, may use it. */
export interface TicketBinding {
  readonly identity: string;
  readonly scope: string;
  /** The exact session policy JSON the credentials were issued with. */
  readonly policy: string;
}

const VERSION = 't1';
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
  return `${VERSION}.${sealCredentials(key, credentials, associatedData(binding))}`;
}

/**
 * The credentials sealed in `ticket`, or undefined when it is not a ticket this key sealed for
 * exactly this binding (forged, altered, truncated, another user's, another scope's, or sealed
 * under another policy or key). Expiry is the caller's to judge.
 */
export function openSessionTicket(key: Uint8Array, ticket: string, binding: TicketBinding): StsCredentials | undefined {
  if (ticket.length > MAX_TICKET_CHARACTERS || !ticket.startsWith(`${VERSION}.`)) return undefined;
  return openCredentials(key, ticket.slice(VERSION.length + 1), associatedData(binding));
}

function associatedData(binding: TicketBinding): Buffer {
  const policy = createHash('sha256').update(binding.policy, 'utf8').digest('base64url');
  return Buffer.from(`oss-tvm session ticket\n${binding.identity}\n${binding.scope}\n${policy}`, 'utf8');
}
