/**
 * The sign-request path for a V1 string-to-sign: authenticate the caller, parse the content,
 * authorize it against the caller's session policy, get the signing credentials (scoped or the
 * function's own), bind their security token into the content and sign it. The rules a caller's
 * requests are authorized by are decided here for every signature version.
 */
import type { TvmConfig } from '../config/load-config';
import type { Invocation } from '../http/function-handler';
import { type AuthorizedCaller, type VendingService, authorizeCaller } from '../vending/caller-credentials';
import { signingCredentials } from '../vending/signing-credentials';
import { type SigningRules, authorizeStringToSign } from './authorize-signing';
import { ossV1Authorization } from './oss-signature';
import { bindSecurityToken } from './security-token';
import type { SignRequest } from './sign-request';
import { parseStringToSign } from './string-to-sign';

/** A V1 string-to-sign sent as text or JSON. */
export type V1ContentRequest = Extract<SignRequest, { mode: 'text' | 'json' }>;

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
export async function signForCaller(service: VendingService, invocation: Invocation, request: V1ContentRequest): Promise<SignedContent> {
  const caller = await authorizeCaller(service, invocation, request.scope);
  const parsed = parseStringToSign(request.stringToSign);
  const now = service.now();
  const { operation } = authorizeStringToSign(parsed, signingRules(service.config, caller, now));
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

/** The rules a caller's requests are authorized by, at `now` (the request's one clock reading). */
export function signingRules(config: TvmConfig, caller: AuthorizedCaller, now: number): SigningRules {
  return {
    bucket: config.bucket,
    prefix: caller.policy.prefix,
    policy: caller.policy.document,
    now,
    maxSkewSeconds: config.signing.maxSkewSeconds,
    maxUrlTtlSeconds: config.signing.maxUrlTtlSeconds,
    extraHeaders: config.signing.extraHeaders,
    upload: caller.scope.definition.upload,
  };
}
