/**
 * The credentials that sign for a caller, decided from the request's one clock reading, so that
 * a presigned URL's date rules, the question "could any credentials cover this URL" and the
 * cache's coverage check all judge the same instant.
 */
import { type TvmError, dateOutOfRange } from '../errors';
import type { Invocation } from '../http/function-handler';
import type { CredentialNeed } from '../sts/credential-provider';
import type { AccessCredentials } from '../sts/sts-client';
import { isoSeconds } from '../time';
import { type AuthorizedCaller, type VendingService, requireFunctionCredentials, scopedCredentials } from './caller-credentials';

/** Credentials to sign with. */
export interface SigningCredentials {
  readonly credentials: AccessCredentials;
  /** When they expire: known for scoped credentials, absent for the function role's own. */
  readonly expiration?: Date;
}

/**
 * The credentials that sign for `caller`: in `scoped` mode the caller's own scoped credentials
 * through the instance's cache (single-flight, STS budget), in `function` mode the function
 * role's. Read the clock once per request and pass that same reading to the date rules and here.
 *
 * For a presigned URL, pass its expiry as `need.validUntil` (V1: the `Expires` line; V4:
 * `x-oss-date` + `x-oss-expires`), after the date rules accepted it at `need.now`:
 * - when even new credentials (`TVM_DURATION_SECONDS` from `need.now`) would expire before the
 *   URL, it is refused before any STS call: 403 `DateOutOfRange` naming the latest Expires that
 *   can be signed;
 * - cached credentials sign it when they outlive it; otherwise new ones are fetched. With
 *   `TVM_SIGN_MAX_URL_TTL_SECONDS` at most half the duration (enforced at cold start), that
 *   renewal happens at most once per half credential lifetime, and new credentials always cover
 *   the URL.
 *
 * @example
 * ```ts
 * const now = service.now();
 * authorizeStringToSign(parsed, { ...rules, now });
 * const { credentials, expiration } = await signingCredentials(service, invocation, caller, { now, validUntil: urlExpiresMs });
 * ```
 * @throws {@link TvmError} 403 `DateOutOfRange` as above; 429 `TooManyRequests` when the caller's
 *   STS budget is spent; the STS and configuration errors of {@link scopedCredentials}.
 */
export async function signingCredentials(service: VendingService, invocation: Invocation, caller: AuthorizedCaller, need: CredentialNeed): Promise<SigningCredentials> {
  if (service.config.signing.credentials === 'function') return { credentials: requireFunctionCredentials(invocation.functionCredentials) };
  const { validUntil } = need;
  if (validUntil !== undefined) {
    const coverable = need.now + service.config.durationSeconds * 1000;
    if (validUntil > coverable) throw outlives(coverable, `new credentials last ${service.config.durationSeconds} seconds`, need.now);
  }
  const { credentials } = await scopedCredentials(service, invocation, caller, need);
  // Only if STS issued shorter credentials than asked for, or its clock lags far behind ours.
  if (validUntil !== undefined && validUntil > credentials.expiration.getTime()) throw outlives(credentials.expiration.getTime(), 'the signing credentials expire first', need.now);
  return { credentials, expiration: credentials.expiration };
}

function outlives(latestMs: number, reason: string, now: number): TvmError {
  return dateOutOfRange(`A presigned URL may not outlive the credentials that sign it, and ${reason}; choose an Expires no later than ${isoSeconds(new Date(latestMs))}.`, now);
}
