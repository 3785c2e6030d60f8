/**
 * Caller authentication: a bearer JWT verified with jose against the configured issuer, audience,
 * algorithms and keys. The identity comes only from the verified claims.
 */
import { type JWTPayload, type JWTVerifyGetKey, errors, jwtVerify } from 'jose';
import { type KeyObject, createHash } from 'node:crypto';
import type { JwtSettings } from '../config/load-config';
import { TvmError } from '../errors';
import { requireSafeIdentity } from '../policy/identity';
import { KeySetUnavailable, createRemoteKeySet } from './remote-key-set';

/** A caller whose token was verified. */
export interface VerifiedCaller {
  /** The identity value, safe to put in a policy. */
  readonly identity: string;
  /** All verified claims. */
  readonly claims: JWTPayload;
}

/** Verifies the `Authorization` header of a request. */
export type Authenticator = (authorization: string | undefined) => Promise<VerifiedCaller>;

const MAX_TOKEN_LENGTH = 8192;
const MAX_REMEMBERED_TOKENS = 10_000;
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
const CHALLENGE = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

/**
 * Creates the authenticator for the configured issuer. A JWKS is fetched on first use and cached
 * by jose. A token that verified is remembered (by its SHA-256, at most 10,000 of them) until it
 * expires, so an app's repeated calls with the same token skip the signature check; anything
 * else about it was already checked and cannot change but with time.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator(config.jwt);
 * const { identity } = await authenticate(request.headers['authorization']);
 * ```
 */
export function createAuthenticator(settings: JwtSettings): Authenticator {
  const key = verificationKey(settings);
  const options = {
    issuer: settings.issuer,
    audience: [...settings.audience],
    algorithms: [...settings.algorithms],
    clockTolerance: settings.clockToleranceSeconds,
    requiredClaims: ['iss', 'aud', 'exp', settings.identityClaim],
  };
  const verified = new Map<string, { caller: VerifiedCaller; validUntilMs: number }>();
  return async (authorization) => {
    const token = bearerToken(authorization);
    const fingerprint = createHash('sha256').update(token).digest('base64url');
    const known = verified.get(fingerprint);
    if (known !== undefined && Date.now() < known.validUntilMs) return known.caller;
    verified.delete(fingerprint);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      throw tokenError(error, settings.identityClaim);
    }
    const identity = claims[settings.identityClaim];
    if (typeof identity !== 'string') throw invalidToken(`The token's "${settings.identityClaim}" claim is not a string.`);
    const caller = { identity: requireSafeIdentity(identity, settings.identityClaim), claims };
    remember(verified, fingerprint, caller, ((claims.exp ?? 0) + settings.clockToleranceSeconds) * 1000);
    return caller;
  };
}

function remember(verified: Map<string, { caller: VerifiedCaller; validUntilMs: number }>, fingerprint: string, caller: VerifiedCaller, validUntilMs: number): void {
  verified.set(fingerprint, { caller, validUntilMs });
  if (verified.size > MAX_REMEMBERED_TOKENS) {
    const oldest = verified.keys().next().value;
    if (oldest !== undefined) verified.delete(oldest);
  }
}

function verificationKey(settings: JwtSettings): KeyObject | Uint8Array | JWTVerifyGetKey {
  const source = settings.keySource;
  if (source.kind === 'jwks') {
    return createRemoteKeySet(source.url, { timeoutMs: 3000, cooldownMs: 30_000, maxAgeMs: 600_000 });
  }
  return source.key;
}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw invalidToken('The request has no bearer token. Send "Authorization: Bearer <token>".');
  }
  const match = authorization.length <= MAX_TOKEN_LENGTH + 16 ? BEARER.exec(authorization) : null;
  if (match === null || match[1] === undefined) {
    throw invalidToken('The Authorization header is not a bearer JWT. Send "Authorization: Bearer <token>".');
  }
  return match[1];
}

function tokenError(error: unknown, identityClaim: string): TvmError {
  if (error instanceof errors.JWTExpired) return invalidToken('The token has expired.', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalidToken(claimMessage(error.claim, error.reason, identityClaim), error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken('The token is signed with an algorithm this service does not accept.', error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalidToken('The token signature is not valid.', error);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalidToken("No key of the identity provider's key set matches the token.", error);
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) {
    return new TvmError(503, 'IdentityProviderUnavailable', "The identity provider's key set could not be fetched. Try again later.", { cause: error, headers: { 'Retry-After': '5' } });
  }
  return invalidToken('The token is malformed or cannot be verified.', error);
}

function claimMessage(claim: string, reason: string, identityClaim: string): string {
  if (reason === 'missing') return `The token has no "${claim}" claim.`;
  if (claim === 'iss') return 'The token was issued by an issuer this service does not trust.';
  if (claim === 'aud') return 'The token is meant for another audience.';
  if (claim === 'nbf') return 'The token is not valid yet.';
  if (claim === 'iat') return 'The token has an invalid issue time.';
  return `The token's "${claim === identityClaim ? identityClaim : claim}" claim is invalid.`;
}

/** Failures to get the key set: no response, a non-200 answer, or not a key set. */
function isFetchFailure(error: unknown): boolean {
  return error instanceof KeySetUnavailable;
}

function invalidToken(message: string, cause?: unknown): TvmError {
  return new TvmError(401, 'InvalidToken', message, { headers: CHALLENGE, cause });
}
