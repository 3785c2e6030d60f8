/**
 * The credentials that sign a request the client built itself with a signing session's
 * AccessKeyId and token (a RemoteSigner map, a canonical request): the session ticket's, when the
 * client sends a valid one for exactly those credentials; otherwise the instance's current ones,
 * which must then be the ones the request names.
 */
import type { Invocation } from '../http/function-handler';
import type { CredentialNeed } from '../sts/credential-provider';
import type { StsCredentials } from '../sts/sts-client';
import type { AuthorizedCaller, VendingService } from '../vending/caller-credentials';
import { type SigningCredentials, signingCredentials } from '../vending/signing-credentials';
import { type CarriedCredentials, requireSigningCredentials } from './security-token';
import { SESSION_TICKET_HEADER, type TicketBinding, openSessionTicket, sealSessionTicket } from './session-ticket';

/** A ticket's credentials sign only while they still have this long to live (OSS checks them when the request arrives). */
const MIN_TICKET_LIFE_MS = 60_000;

/**
 * Signing credentials for a request built with the credentials `carried` names.
 *
 * With a session ticket (header `x-tvm-session-ticket`) that this service sealed for this caller,
 * scope and policy, for exactly the AccessKeyId and token the request names, and that lives at
 * least a minute more (and past `need.validUntil`): the ticket's credentials, with no cache or STS
 * call. Otherwise: the current ones ({@link signingCredentials}), which must be those the request
 * names.
 *
 * @throws {@link TvmError} 409 `SecurityTokenMismatch` with the current `AccessKeyId`,
 *   `SecurityToken` and (scoped) `SessionTicket` when the request names other credentials; the
 *   errors of {@link signingCredentials}.
 */
export async function credentialsForBuiltRequest(service: VendingService, invocation: Invocation, caller: AuthorizedCaller, need: CredentialNeed, carried: CarriedCredentials): Promise<SigningCredentials> {
  const scoped = service.config.signing.credentials === 'scoped';
  const ticket = invocation.request.headers[SESSION_TICKET_HEADER];
  if (scoped && ticket !== undefined) {
    const sealed = openSessionTicket(service.sessionKey, ticket, ticketBinding(caller));
    if (sealed !== undefined && names(carried, sealed) && sealed.expiration.getTime() >= Math.max(need.now + MIN_TICKET_LIFE_MS, need.validUntil ?? 0)) {
      invocation.log.cache = 'ticket';
      return { credentials: sealed, expiration: sealed.expiration };
    }
  }
  const current = await signingCredentials(service, invocation, caller, need);
  requireSigningCredentials(carried, current.credentials, scoped ? sessionTicket(service, caller, current) : undefined);
  return current;
}

/**
 * The session ticket of scoped signing credentials, for the caller to send back with each
 * signature request; undefined for the function role's credentials, which are never sealed.
 */
export function sessionTicket(service: VendingService, caller: AuthorizedCaller, signing: SigningCredentials): string | undefined {
  const { credentials, expiration } = signing;
  if (service.config.signing.credentials !== 'scoped' || credentials.securityToken === undefined || expiration === undefined) return undefined;
  const sealed: StsCredentials = { accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, securityToken: credentials.securityToken, expiration };
  return sealSessionTicket(service.sessionKey, sealed, ticketBinding(caller));
}

function ticketBinding(caller: AuthorizedCaller): TicketBinding {
  return { identity: caller.identity, scope: caller.scope.name, policy: caller.policy.json };
}

/** Whether the request names these credentials: their AccessKeyId when it names one, their token when it is visible. */
function names(carried: CarriedCredentials, credentials: StsCredentials): boolean {
  if (carried.accessKeyId !== undefined && carried.accessKeyId !== credentials.accessKeyId) return false;
  return !carried.tokenVisible || carried.securityToken === credentials.securityToken;
}
