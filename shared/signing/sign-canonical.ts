/**
 * Canonical-request V4 signing: the client sends the V4 canonical request itself, which is parsed
 * strictly and authorized with the same operation table, header allow-list, key and date rules as
 * a V1 content, in either credential mode; only then is it signed. The client built the request
 * with a signing session's AccessKeyId and token, so nothing is inserted: both must be the
 * signing credentials'.
 */
import { TvmError } from '../errors';
import type { Invocation } from '../http/function-handler';
import { type VendingService, authorizeCaller } from '../vending/caller-credentials';
import { V4_DIALECT, authorizeRequest } from './authorize-signing';
import { type V4Credential, parseCanonicalRequest } from './canonical-request';
import { credentialsForBuiltRequest } from './session-credentials';
import { signingRules } from './sign-for-caller';
import type { SignRequest } from './sign-request';
import { V4_PRODUCT, v4Authorization, v4Scope, v4Signature, v4StringToSign } from './signature-v4';

/** A signed canonical request. */
export interface SignedCanonicalRequest {
  /** 64 lowercase hex: the `Signature` of the Authorization value, or a presigned URL's `x-oss-signature`. */
  readonly signature: string;
  /** `OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…`. */
  readonly authorization: string;
  readonly stringToSign: string;
  readonly securityToken?: string;
  readonly expiration?: Date;
}

/**
 * Signs a canonical request for the invocation's caller, or refuses it.
 *
 * @throws {@link TvmError} for an unauthenticated caller; 400 `MalformedStringToSign` and the
 *   rules' 403s; 403 `RegionNotAllowed`, `ProductNotAllowed` or `CredentialScopeMismatch` for a
 *   presigned URL's credential; 409 `SecurityTokenMismatch` (with the current AccessKeyId and
 *   token) for a request built with other credentials; an STS failure.
 */
export async function signCanonicalRequest(service: VendingService, invocation: Invocation, request: Extract<SignRequest, { mode: 'canonicalV4' }>): Promise<SignedCanonicalRequest> {
  const { config } = service;
  const caller = await authorizeCaller(service, invocation, request.scope);
  const parsed = parseCanonicalRequest(request.canonicalRequest);
  const date = parsed.timestamp.slice(0, 8);
  if (parsed.presigned !== undefined) checkCredentialScope(parsed.presigned.credential, date, config.region);
  const now = service.now();
  const { operation } = authorizeRequest(parsed.request, signingRules(config, caller, now), V4_DIALECT);
  invocation.log.operation = operation;
  const { date: valid } = parsed.request;
  const need = valid.kind === 'expires' ? { now, validUntil: valid.time } : { now };
  const carried = { ...(parsed.presigned === undefined ? {} : { accessKeyId: parsed.presigned.credential.accessKeyId }), tokenVisible: true, securityToken: parsed.securityToken };
  const { credentials, expiration } = await credentialsForBuiltRequest(service, invocation, caller, need, carried);
  const scope = v4Scope(date, config.region);
  const stringToSign = v4StringToSign(parsed.timestamp, scope, request.canonicalRequest);
  const signature = v4Signature(credentials.accessKeySecret, date, config.region, stringToSign);
  return {
    signature,
    authorization: v4Authorization({ accessKeyId: credentials.accessKeyId, scope, additionalHeaders: parsed.additionalHeaders, signature }),
    stringToSign,
    ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
    ...(expiration === undefined ? {} : { expiration }),
  };
}

/** A presigned URL's `x-oss-credential` names this region, OSS and the day of its `x-oss-date`. */
function checkCredentialScope(credential: V4Credential, date: string, region: string): void {
  if (credential.region !== region) throw new TvmError(403, 'RegionNotAllowed', `Only requests for the region ${region} are signed; the x-oss-credential must name it.`);
  if (credential.product !== V4_PRODUCT) throw new TvmError(403, 'ProductNotAllowed', `Only requests for OSS are signed; the x-oss-credential's product must be "${V4_PRODUCT}".`);
  if (credential.date !== date) throw new TvmError(403, 'CredentialScopeMismatch', 'The x-oss-credential\'s date must be the day of the x-oss-date.');
}
