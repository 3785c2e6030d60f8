/**
 * The new-generation SDKs' remote signers (Kotlin v2 and Swift v2 `RemoteSignerV4` and
 * `RemoteSignerV1`): the SDK builds and hashes the request itself, with the AccessKeyId and token
 * of a signing session, and the app forwards the SDK's map here for the signature.
 *
 * A RemoteSignerV4 map holds only a hash of the request: which key, verb or sub-resource it signs
 * cannot be seen. It is therefore signed only with the caller's own scoped credentials (whose
 * session policy OSS enforces), never with the function role's; what can be checked (the scope
 * line, the time, the declared bucket and key) is. A RemoteSignerV1 map holds the whole V1 string
 * to sign and is authorized by the V1 rules in either credential mode.
 */
import { TvmError, dateOutOfRange } from '../errors';
import type { Invocation } from '../http/function-handler';
import { type VendingService, authorizeCaller } from '../vending/caller-credentials';
import { authorizeResource, authorizeStringToSign } from './authorize-signing';
import { ossV1Signature } from './oss-signature';
import { SIGNABLE_VERBS, type SignableVerb } from './signable-request';
import { V4_ALGORITHM, V4_PRODUCT, V4_TERMINATOR, parseV4Timestamp, v4Signature } from './signature-v4';
import { carriedToken } from './security-token';
import { credentialsForBuiltRequest } from './session-credentials';
import { signingRules } from './sign-for-caller';
import type { RemoteSignerV1Info, RemoteSignerV4Info, SignRequest } from './sign-request';
import { parseStringToSign } from './string-to-sign';

/** A signature for a remote signer, with the token and expiry of the credentials that made it. */
export interface RemoteSignature {
  /** V4: 64 lowercase hex; V1: base64. */
  readonly signature: string;
  readonly securityToken?: string;
  readonly expiration?: Date;
}

/** A V4 string to sign, read. */
export interface V4StringToSign {
  /** The timestamp line, `yyyyMMddTHHmmssZ`, and its time in ms. */
  readonly timestamp: string;
  readonly time: number;
  /** The scope line's parts: `<date>/<region>/<product>/aliyun_v4_request`. */
  readonly date: string;
  readonly region: string;
  readonly product: string;
}

/** What a RemoteSignerV4 map is checked against. */
export interface HashOnlyRules {
  readonly bucket: string;
  readonly region: string;
  readonly prefix: string;
  /** Server time in ms. */
  readonly now: number;
  readonly maxSkewSeconds: number;
}

const HASH_ONLY_LISTING = 'Listing is not signed in hash-only mode: the server sees only a hash, not the listing prefix. List with vend-token credentials, or send the canonical request.';

/**
 * Reads a V4 string to sign: exactly the four lines `OSS4-HMAC-SHA256`, a `yyyyMMddTHHmmssZ`
 * timestamp, the scope `<yyyymmdd>/<region>/<product>/aliyun_v4_request` and 64 lowercase hex.
 *
 * @throws {@link TvmError} 400 `MalformedStringToSign` naming the line that is wrong.
 */
export function parseV4StringToSign(text: string): V4StringToSign {
  const lines = text.split('\n');
  if (lines.length !== 4) throw malformed('it must be exactly four lines: algorithm, timestamp, scope and the canonical request\'s hash');
  const [algorithm = '', timestamp = '', scope = '', hash = ''] = lines;
  if (algorithm !== V4_ALGORITHM) throw malformed(`its first line is not ${V4_ALGORITHM}`);
  const time = parseV4Timestamp(timestamp);
  if (time === undefined) throw malformed('its second line is not a yyyyMMddTHHmmssZ timestamp');
  const parts = /^(\d{8})\/([a-z0-9-]{1,64})\/([a-z0-9-]{1,64})\/(.*)$/.exec(scope);
  if (parts === null || parts[4] !== V4_TERMINATOR) throw malformed(`its third line is not a scope <yyyymmdd>/<region>/oss/${V4_TERMINATOR}`);
  if (!/^[0-9a-f]{64}$/.test(hash)) throw malformed('its last line is not 64 lowercase hex digits');
  return { timestamp, time, date: parts[1] as string, region: parts[2] as string, product: parts[3] as string };
}

/**
 * Checks a RemoteSignerV4 map: its string to sign is well formed; the scope line, the map's
 * `date`, `region` and `product` and the timestamp agree, name this service's region and OSS; the
 * timestamp is within the skew of server time; the declared bucket and key are the caller's.
 *
 * @returns the string to sign, read.
 * @throws {@link TvmError} 400 `MalformedStringToSign`; 403 `VerbNotAllowed`, `RegionNotAllowed`,
 *   `ProductNotAllowed`, `CredentialScopeMismatch`, `DateOutOfRange` (with the server time),
 *   `ResourceNotAllowed`, `BucketNotAllowed`, `ListingNotSignable` or `KeyNotAllowed`.
 */
export function authorizeRemoteSignerV4(info: RemoteSignerV4Info, rules: HashOnlyRules): V4StringToSign {
  const parsed = parseV4StringToSign(info.stringToSign);
  const verb = signableVerb(info.method);
  if (parsed.region !== rules.region || info.region !== rules.region) {
    throw new TvmError(403, 'RegionNotAllowed', `Only requests for the region ${rules.region} are signed; the map and its scope line must both name it.`);
  }
  if (parsed.product !== V4_PRODUCT || info.product !== V4_PRODUCT) {
    throw new TvmError(403, 'ProductNotAllowed', `Only requests for OSS are signed; the map's product and its scope line must both be "${V4_PRODUCT}".`);
  }
  if (parsed.date !== info.date || parsed.date !== parsed.timestamp.slice(0, 8)) {
    throw new TvmError(403, 'CredentialScopeMismatch', 'The scope line\'s date, the map\'s date and the timestamp\'s date must be the same day.');
  }
  if (Math.abs(parsed.time - rules.now) > rules.maxSkewSeconds * 1000) {
    throw dateOutOfRange(`The timestamp is more than ${rules.maxSkewSeconds} seconds from server time; correct the SDK's clock with ServerTime.`, rules.now);
  }
  authorizeResource({ verb, bucket: info.bucket, key: info.key, subresources: [] }, rules, HASH_ONLY_LISTING);
  return parsed;
}

/**
 * Signs a RemoteSignerV4 map for the invocation's caller, with the caller's scoped credentials.
 *
 * @throws {@link TvmError} 403 `SigningModeNotAllowed` in `function` mode; the refusals of
 *   {@link authorizeRemoteSignerV4}; 409 `SecurityTokenMismatch` when the map names other than the
 *   current AccessKeyId; an STS failure.
 */
export async function signRemoteSignerV4(service: VendingService, invocation: Invocation, request: Extract<SignRequest, { mode: 'remoteSignerV4' }>): Promise<RemoteSignature> {
  const { config } = service;
  const caller = await authorizeCaller(service, invocation, request.scope);
  if (config.signing.credentials !== 'scoped') {
    throw new TvmError(403, 'SigningModeNotAllowed', 'Hash-only signing (a RemoteSignerV4 map) is refused with the function role\'s credentials: the server cannot see what a hash signs, and only per-user scoped credentials let OSS keep it to your prefix. Send the canonical request instead ({"version":"v4","canonicalRequest":"..."}).');
  }
  const now = service.now();
  const { info } = request;
  const parsed = authorizeRemoteSignerV4(info, { bucket: config.bucket, region: config.region, prefix: caller.policy.prefix, now, maxSkewSeconds: config.signing.maxSkewSeconds });
  invocation.log.operation = `hash-only ${info.method}`;
  const { credentials, expiration } = await credentialsForBuiltRequest(service, invocation, caller, { now }, { accessKeyId: info.accessKeyId, tokenVisible: false });
  return {
    signature: v4Signature(credentials.accessKeySecret, parsed.date, config.region, info.stringToSign),
    ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
    ...(expiration === undefined ? {} : { expiration }),
  };
}

/**
 * Signs a RemoteSignerV1 map: its string to sign by the V1 rules, as the SDK built it (the token
 * is not inserted here: the SDK sends only what it signed, so the content must carry the
 * signing credentials' token already).
 *
 * @throws {@link TvmError} 400 `MalformedRequest` when the map's method, bucket or key is not
 *   what its string to sign names; the V1 refusals; 409 `SecurityTokenMismatch` for another
 *   AccessKeyId or token; an STS failure.
 */
export async function signRemoteSignerV1(service: VendingService, invocation: Invocation, request: Extract<SignRequest, { mode: 'remoteSignerV1' }>): Promise<RemoteSignature> {
  const caller = await authorizeCaller(service, invocation, request.scope);
  const { info } = request;
  const parsed = parseStringToSign(info.stringToSign);
  requireSameTarget(info, parsed);
  const now = service.now();
  const { operation } = authorizeStringToSign(parsed, signingRules(service.config, caller, now));
  invocation.log.operation = operation;
  const need = parsed.date.kind === 'expires' ? { now, validUntil: parsed.date.time } : { now };
  const { credentials, expiration } = await credentialsForBuiltRequest(service, invocation, caller, need, { accessKeyId: info.accessKeyId, tokenVisible: true, securityToken: carriedToken(parsed)?.value });
  return {
    signature: ossV1Signature(credentials.accessKeySecret, info.stringToSign),
    ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
    ...(expiration === undefined ? {} : { expiration }),
  };
}

function requireSameTarget(info: RemoteSignerV1Info, parsed: ReturnType<typeof parseStringToSign>): void {
  const dateLine = info.stringToSign.split('\n')[3];
  if (info.method !== parsed.verb || info.bucket !== parsed.bucket || info.key !== parsed.key || (info.date !== undefined && info.date !== dateLine)) {
    throw new TvmError(400, 'MalformedRequest', 'The map\'s method, bucket, key and date must be those of its string to sign.');
  }
}

function signableVerb(method: string): SignableVerb {
  if ((SIGNABLE_VERBS as readonly string[]).includes(method)) return method as SignableVerb;
  if (!/^[A-Z]{1,16}$/.test(method)) throw new TvmError(400, 'MalformedRequest', 'The map\'s "method" is not an HTTP method.');
  throw new TvmError(403, 'VerbNotAllowed', `Requests with ${method} are not signed; only ${SIGNABLE_VERBS.join(', ')}.`);
}

function malformed(reason: string): TvmError {
  return new TvmError(400, 'MalformedStringToSign', `The string to sign is malformed: ${reason}.`);
}
