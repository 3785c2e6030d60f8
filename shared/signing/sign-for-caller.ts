/**
 * The sign-request path: authenticate the caller, parse the string-to-sign, authorize it against
 * the caller's session policy, get the signing credentials (scoped or the function's own), bind
 * their security token into the content and sign it.
 */
import type { Invocation } from '../http/function-handler';
import { type VendingService, authorizeCaller } from '../vending/caller-credentials';
import { signingCredentials } from '../vending/signing-credentials';
import { authorizeStringToSign } from './authorize-signing';
import { ossV1Authorization } from './oss-signature';
import { bindSecurityToken } from './security-token';
import type { SignRequest } from './sign-request';
import { parseStringToSign } from './string-to-sign';

/** A signed content and what the app needs to send its request. */
export interface SignedContent {
  /** `OSS <AccessKeyId>:<signature>`, the Authorization header value. */
  readonly authorization: string;
  /** The content that was signed: the received one, with the security token inserted when it lacked it. */
  readonly signedString: string;
  /** The token the app must send (`x-oss-security-token` header, or `security-token` query parameter). */
  readonly securityToken?: string;
  /** When the signing credentials expire, when known. */
  readonly expiration?: Date;
  /** The OSS operation that was authorized, such as `PutObject`. */
  readonly operation: string;
}

/**
 * Signs `request.stringToSign` for the invocation's caller, or refuses it.
 *
 * @throws {@link TvmError} for an unauthenticated caller, a malformed or unauthorized content,
 *   a content carrying another token (409), or an STS failure.
 */
export async function signForCaller(service: VendingService, invocation: Invocation, request: SignRequest): Promise<SignedContent> {
  const { config } = service;
  const caller = await authorizeCaller(service, invocation, request.scope);
  const parsed = parseStringToSign(request.stringToSign);
  const now = service.now();
  const { operation } = authorizeStringToSign(parsed, {
    bucket: config.bucket,
    prefix: caller.policy.prefix,
    policy: caller.policy.document,
    now,
    maxSkewSeconds: config.signing.maxSkewSeconds,
    maxUrlTtlSeconds: config.signing.maxUrlTtlSeconds,
    extraHeaders: config.signing.extraHeaders,
  });
  invocation.log.operation = operation;
  const { credentials, expiration } = await signingCredentials(service, invocation, caller, parsed.date.kind === 'expires' ? { now, validUntil: parsed.date.time } : { now });
  const signedString = bindSecurityToken(request.stringToSign, parsed, credentials.securityToken);
  return {
    authorization: ossV1Authorization(credentials.accessKeyId, credentials.accessKeySecret, signedString),
    signedString,
    operation,
    ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
    ...(expiration === undefined ? {} : { expiration }),
  };
}
