/**
 * Authenticates a request as OSS does: V1 or V4, in the Authorization header or in the URL, with
 * the credentials' security token, expiry and the request time checked.
 */
import { timingSafeEqual } from 'node:crypto';
import { OssError, accessDenied, invalidArgument } from './errors';
import type { OssRequest } from './request';
import { queryValue } from './request';
import { parseV1Authorization, v1Signature, v1StringToSign } from './signature-v1';
import {
  V4_ALGORITHM,
  normalizeAdditionalHeaders,
  parseV4Authorization,
  parseV4Credential,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4StringToSign,
} from './signature-v4';

/** What the emulator knows about an AccessKeyId. */
export interface CredentialRecord {
  accessKeySecret: string;
  /** Present for STS credentials: requests must carry exactly this token. */
  securityToken?: string;
  /** `yyyy-MM-ddTHH:mm:ssZ`; requests after it are refused. */
  expiration?: string;
  /** The RAM role (or, for a long-term key, user) the credentials act as: its policy in `rolePolicies` applies. */
  roleArn?: string;
  /** The session policy (RAM JSON) the credentials were issued with. */
  sessionPolicy?: string;
}

export type CredentialLookup = (accessKeyId: string) => CredentialRecord | undefined;

export type SignatureKind = 'v1-header' | 'v1-query' | 'v4-header' | 'v4-query' | 'v1-form' | 'v4-form';

export interface AuthenticatedCaller {
  accessKeyId: string;
  kind: SignatureKind;
  credentials: CredentialRecord;
}

export interface AuthenticateOptions {
  credentials: CredentialLookup;
  /** The server's clock, milliseconds since the epoch. */
  nowMs: number;
  /** The region V4 scopes must name, e.g. `cn-hangzhou`. */
  region: string;
}

/** Largest accepted difference between the request time and the server's clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_V4_EXPIRES_SECONDS = 7 * 24 * 3600;
const RFC1123 = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function rfc1123(ms: number): string {
  return new Date(ms).toUTCString();
}

function isoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function parseIsoBasic(value: string): number | undefined {
  const match = ISO_BASIC.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0);
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Which signature a request carries, undefined when anonymous. */
export function signatureKind(request: OssRequest): SignatureKind | undefined {
  const authorization = request.headers['authorization'];
  if (authorization !== undefined) return authorization.trim().startsWith(`${V4_ALGORITHM} `) ? 'v4-header' : 'v1-header';
  if (queryValue(request, 'x-oss-signature-version') !== undefined || queryValue(request, 'x-oss-signature') !== undefined) return 'v4-query';
  if (queryValue(request, 'OSSAccessKeyId') !== undefined || queryValue(request, 'Signature') !== undefined) return 'v1-query';
  return undefined;
}

/**
 * The credentials of `accessKeyId`, checked as OSS checks them: known, the security token present
 * and equal for STS keys (absent for others), not expired.
 */
export function lookUp(options: AuthenticateOptions, accessKeyId: string, presentedToken: string | undefined): CredentialRecord {
  const record = options.credentials(accessKeyId);
  if (!record) {
    throw new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', { OSSAccessKeyId: accessKeyId }, '0002-00000002');
  }
  if (record.securityToken === undefined) {
    if (presentedToken !== undefined) {
      throw new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', { OSSAccessKeyId: accessKeyId }, '0002-00000002');
    }
  } else {
    if (presentedToken === undefined || presentedToken === '') {
      throw new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', { OSSAccessKeyId: accessKeyId }, '0002-00000003');
    }
    if (!sameText(presentedToken, record.securityToken)) {
      throw new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.', {}, '0002-00000004');
    }
  }
  if (record.expiration !== undefined) {
    const expiresAt = Date.parse(record.expiration);
    if (!Number.isFinite(expiresAt) || options.nowMs >= expiresAt) {
      throw new OssError(403, 'SecurityTokenExpired', 'The security token you provided has expired.', { Expiration: record.expiration, ServerTime: new Date(options.nowMs).toISOString() }, '0002-00000007');
    }
  }
  return record;
}

function checkSkew(requestTimeMs: number, requestTime: string, nowMs: number, serverTime: string): void {
  if (Math.abs(nowMs - requestTimeMs) > MAX_SKEW_MS) {
    throw new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: requestTime,
      ServerTime: serverTime,
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    }, '0002-00000504');
  }
}

export function signatureMismatch(accessKeyId: string, stringToSign: string, provided: string, canonicalRequest?: string): OssError {
  return new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: provided,
    StringToSign: stringToSign,
    ...(canonicalRequest === undefined ? {} : { CanonicalRequest: canonicalRequest }),
  }, '0002-00000040');
}

function authenticateV1Header(request: OssRequest, options: AuthenticateOptions): AuthenticatedCaller {
  const parsed = parseV1Authorization(request.headers['authorization'] ?? '');
  if (!parsed) throw invalidArgument('Authorization header is invalid.', { Authorization: request.headers['authorization'] ?? '' });
  const credentials = lookUp(options, parsed.accessKeyId, request.headers['x-oss-security-token']);
  const dateSlot = request.headers['x-oss-date'] ?? request.headers['date'];
  if (dateSlot === undefined || !RFC1123.test(dateSlot.trim())) {
    throw accessDenied('OSS authentication requires a valid Date.', {}, '0002-00000503');
  }
  checkSkew(Date.parse(dateSlot), dateSlot, options.nowMs, rfc1123(options.nowMs));
  const stringToSign = v1StringToSign(request, dateSlot);
  if (!sameText(v1Signature(credentials.accessKeySecret, stringToSign), parsed.signature)) {
    throw signatureMismatch(parsed.accessKeyId, stringToSign, parsed.signature);
  }
  return { accessKeyId: parsed.accessKeyId, kind: 'v1-header', credentials };
}

function authenticateV1Query(request: OssRequest, options: AuthenticateOptions): AuthenticatedCaller {
  const accessKeyId = queryValue(request, 'OSSAccessKeyId');
  const expires = queryValue(request, 'Expires');
  const signature = queryValue(request, 'Signature');
  if (!accessKeyId || !expires || !signature) {
    throw accessDenied('Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters.');
  }
  const credentials = lookUp(options, accessKeyId, queryValue(request, 'security-token') ?? request.headers['x-oss-security-token']);
  if (!/^\d+$/.test(expires)) throw accessDenied('Invalid argument: Expires.', { Expires: expires });
  if (Number(expires) * 1000 < options.nowMs) {
    throw accessDenied('Request has expired.', { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: new Date(options.nowMs).toISOString() }, '0002-00000069');
  }
  const stringToSign = v1StringToSign(request, expires);
  if (!sameText(v1Signature(credentials.accessKeySecret, stringToSign), signature)) {
    throw signatureMismatch(accessKeyId, stringToSign, signature);
  }
  return { accessKeyId, kind: 'v1-query', credentials };
}

function checkScope(credential: { date: string; region: string; product: string; terminator: string }, dateTime: string, region: string): void {
  if (credential.product !== 'oss' || credential.terminator !== 'aliyun_v4_request') {
    throw invalidArgument('Invalid credential in Authorization header.');
  }
  if (credential.date !== dateTime.slice(0, 8)) {
    throw invalidArgument('Invalid signing date in Authorization header.', { SigningDate: credential.date, RequestDate: dateTime });
  }
  if (credential.region !== region) {
    throw invalidArgument(`Invalid signing region in Authorization header: expected ${region}.`, { SigningRegion: credential.region });
  }
}

function authenticateV4Header(request: OssRequest, options: AuthenticateOptions): AuthenticatedCaller {
  const parsed = parseV4Authorization(request.headers['authorization'] ?? '');
  if (!parsed) throw invalidArgument('Authorization header is invalid.', { Authorization: request.headers['authorization'] ?? '' });
  const { credential } = parsed;
  const credentials = lookUp(options, credential.accessKeyId, request.headers['x-oss-security-token']);
  const dateTime = request.headers['x-oss-date'];
  const requestTimeMs = dateTime === undefined ? undefined : parseIsoBasic(dateTime.trim());
  if (dateTime === undefined || requestTimeMs === undefined) {
    throw accessDenied('OSS V4 authentication requires a valid x-oss-date header.', {}, '0002-00000503');
  }
  checkSkew(requestTimeMs, dateTime, options.nowMs, isoBasic(options.nowMs));
  checkScope(credential, dateTime.trim(), options.region);
  if (request.headers['x-oss-content-sha256'] === undefined) {
    throw invalidArgument('Missing required header for this request: x-oss-content-sha256.');
  }
  const canonicalRequest = v4CanonicalRequest(request, normalizeAdditionalHeaders(parsed.additionalHeaders));
  const stringToSign = v4StringToSign(dateTime.trim(), v4Scope(credential.date, credential.region), canonicalRequest);
  if (!sameText(v4Signature(credentials.accessKeySecret, credential.date, credential.region, stringToSign), parsed.signature)) {
    throw signatureMismatch(credential.accessKeyId, stringToSign, parsed.signature, canonicalRequest);
  }
  return { accessKeyId: credential.accessKeyId, kind: 'v4-header', credentials };
}

function authenticateV4Query(request: OssRequest, options: AuthenticateOptions): AuthenticatedCaller {
  const version = queryValue(request, 'x-oss-signature-version');
  const credential = parseV4Credential(queryValue(request, 'x-oss-credential') ?? '');
  const dateTime = queryValue(request, 'x-oss-date') ?? '';
  const expires = queryValue(request, 'x-oss-expires') ?? '';
  const signature = queryValue(request, 'x-oss-signature') ?? '';
  if (version !== V4_ALGORITHM || !credential || !/^[0-9a-f]{64}$/.test(signature)) {
    throw invalidArgument('Invalid V4 query-string authentication parameters.');
  }
  const credentials = lookUp(options, credential.accessKeyId, queryValue(request, 'x-oss-security-token') ?? request.headers['x-oss-security-token']);
  const signedAtMs = parseIsoBasic(dateTime);
  if (signedAtMs === undefined) throw accessDenied('Invalid argument: x-oss-date.', { 'x-oss-date': dateTime }, '0002-00000502');
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_V4_EXPIRES_SECONDS) {
    throw invalidArgument('Invalid argument: x-oss-expires must be 1..604800.', { 'x-oss-expires': expires });
  }
  if (signedAtMs - options.nowMs > MAX_SKEW_MS) checkSkew(signedAtMs, dateTime, options.nowMs, isoBasic(options.nowMs));
  if (options.nowMs > signedAtMs + Number(expires) * 1000) {
    throw accessDenied('Request has expired.', { 'x-oss-date': dateTime, 'x-oss-expires': expires, ServerTime: isoBasic(options.nowMs) }, '0002-00000232');
  }
  checkScope(credential, dateTime, options.region);
  const additional = normalizeAdditionalHeaders((queryValue(request, 'x-oss-additional-headers') ?? '').split(';'));
  const canonicalRequest = v4CanonicalRequest(request, additional);
  const stringToSign = v4StringToSign(dateTime, v4Scope(credential.date, credential.region), canonicalRequest);
  if (!sameText(v4Signature(credentials.accessKeySecret, credential.date, credential.region, stringToSign), signature)) {
    throw signatureMismatch(credential.accessKeyId, stringToSign, signature, canonicalRequest);
  }
  return { accessKeyId: credential.accessKeyId, kind: 'v4-query', credentials };
}

/**
 * The caller of a signed request.
 *
 * @throws OssError `AccessDenied` for an anonymous request, `InvalidAccessKeyId`, `InvalidSecurityToken`,
 * `SecurityTokenExpired`, `RequestTimeTooSkewed`, `AccessDenied` (expired URL, bad Date),
 * `InvalidArgument` (malformed signature fields) or `SignatureDoesNotMatch`.
 */
export function authenticate(request: OssRequest, options: AuthenticateOptions): AuthenticatedCaller {
  const kind = signatureKind(request);
  const signedUrl = queryValue(request, 'Signature') !== undefined || queryValue(request, 'x-oss-signature') !== undefined;
  if (request.headers['authorization'] !== undefined && signedUrl) {
    throw invalidArgument('A request cannot carry a signature both in the URL and in the Authorization header.');
  }
  switch (kind) {
    case 'v1-header':
      return authenticateV1Header(request, options);
    case 'v1-query':
      return authenticateV1Query(request, options);
    case 'v4-header':
      return authenticateV4Header(request, options);
    case 'v4-query':
      return authenticateV4Query(request, options);
    default:
      throw accessDenied('You have no right to access this object because of bucket acl.', {}, '0003-00000001');
  }
}
