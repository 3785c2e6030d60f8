/**
 * The signing session (`GET /`): a V4 client must know the AccessKeyId and security token of the
 * credentials that will sign for it before it builds a request, since both are inside what is
 * signed. The session tells it them (never the secret), with where and what it may sign.
 */
import type { Invocation } from '../http/function-handler';
import { type VendingService, authorizeCaller } from '../vending/caller-credentials';
import { signingCredentials } from '../vending/signing-credentials';
import { sessionTicket } from './session-credentials';
import type { SessionRequest } from './sign-request';

/** What a client needs to build requests that sign-request will sign. */
export interface SigningSession {
  readonly accessKeyId: string;
  /** Absent for long-term keys (function mode without a token). */
  readonly securityToken?: string;
  /** When the signing credentials expire; absent for the function role's own. */
  readonly expiration?: Date;
  readonly region: string;
  readonly bucket: string;
  readonly endpoint: string;
  /** The key prefix the caller may sign requests under. */
  readonly prefix: string;
  /** Server time in ms, for a client to correct its clock. */
  readonly serverTime: number;
  /** The scoped credentials sealed for the caller to send back with each signature request (`x-tvm-session-ticket`); absent in `function` mode. */
  readonly sessionTicket?: string;
}

/**
 * Opens a signing session for the invocation's caller: in `scoped` mode its cached scoped
 * credentials (the same cache and single-flight as vend-token), in `function` mode the function
 * role's.
 *
 * @throws {@link TvmError} for an unauthenticated caller, an unknown scope, or an STS failure.
 */
export async function openSigningSession(service: VendingService, invocation: Invocation, request: SessionRequest): Promise<SigningSession> {
  const { config } = service;
  const caller = await authorizeCaller(service, invocation, request.scope);
  const now = service.now();
  const signing = await signingCredentials(service, invocation, caller, { now });
  const { credentials, expiration } = signing;
  const ticket = sessionTicket(service, caller, signing);
  invocation.log.operation = 'SigningSession';
  return {
    accessKeyId: credentials.accessKeyId,
    ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
    ...(expiration === undefined ? {} : { expiration }),
    region: config.region,
    bucket: config.bucket,
    endpoint: config.ossEndpoint,
    prefix: caller.policy.prefix,
    serverTime: now,
    ...(ticket === undefined ? {} : { sessionTicket: ticket }),
  };
}
