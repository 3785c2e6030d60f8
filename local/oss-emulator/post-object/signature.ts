/**
 * PostObject form signatures, written from the OSS documentation ("POST V4 signature", "POST V1
 * signature") apart from the product's signer:
 * - V4: `x-oss-signature-version` = `OSS4-HMAC-SHA256`, `x-oss-credential` =
 *   `<AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request`, `x-oss-date` (yyyyMMddTHHmmssZ, the
 *   same day as the credential, at most 15 minutes ahead of server time and at most 7 days old),
 *   `x-oss-signature` = hex HMAC-SHA256(V4 signing key, the base64 policy); the policy must pin the
 *   three signature fields (`x-oss-date` "must be consistent with the x-oss-date in the policy").
 * - V1: `OSSAccessKeyId`, `Signature` = base64 HMAC-SHA1(AccessKeySecret, the base64 policy).
 * STS keys must send `x-oss-security-token`.
 */
import { OssError, accessDenied, invalidArgument } from '../errors';
import { type AuthenticateOptions, type AuthenticatedCaller, lookUp, parseIsoBasic, sameText, signatureMismatch } from '../authenticate';
import { v1Signature } from '../signature-v1';
import { V4_ALGORITHM, parseV4Credential, v4Signature } from '../signature-v4';
import { type FormField, fieldText } from './form';
import { type PostPolicy, pinsField } from './policy';

const MAX_AHEAD_MS = 15 * 60 * 1000;
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** Which signature a form carries, undefined for an anonymous form. */
export function formSignatureKind(fields: readonly FormField[]): 'v4-form' | 'v1-form' | undefined {
  if (fieldText(fields, 'x-oss-signature-version') !== undefined || fieldText(fields, 'x-oss-signature') !== undefined) return 'v4-form';
  if (fieldText(fields, 'OSSAccessKeyId') !== undefined || fieldText(fields, 'Signature') !== undefined) return 'v1-form';
  return undefined;
}

/**
 * Verifies the signature of a signed form over its `policy` field.
 *
 * @throws OssError as OSS answers: `InvalidArgument` (malformed signature fields),
 *   `InvalidAccessKeyId` (unknown key, or an STS key without its token), `InvalidSecurityToken`,
 *   `SecurityTokenExpired`, `AccessDenied` (x-oss-date out of range), `InvalidPolicyDocument` (a V4
 *   policy that does not pin its signature fields) or `SignatureDoesNotMatch`.
 */
export function verifyFormSignature(fields: readonly FormField[], policy: PostPolicy, policyText: string, options: AuthenticateOptions): AuthenticatedCaller {
  return formSignatureKind(fields) === 'v4-form' ? verifyV4(fields, policy, policyText, options) : verifyV1(fields, policyText, options);
}

function verifyV4(fields: readonly FormField[], policy: PostPolicy, policyText: string, options: AuthenticateOptions): AuthenticatedCaller {
  const version = fieldText(fields, 'x-oss-signature-version') ?? '';
  const credentialText = fieldText(fields, 'x-oss-credential') ?? '';
  const dateTime = fieldText(fields, 'x-oss-date') ?? '';
  const signature = fieldText(fields, 'x-oss-signature') ?? '';
  const credential = parseV4Credential(credentialText);
  if (version !== V4_ALGORITHM) throw invalidArgument('Invalid x-oss-signature-version: it must be OSS4-HMAC-SHA256.', { 'x-oss-signature-version': version });
  if (credential === undefined || credential.product !== 'oss' || credential.terminator !== 'aliyun_v4_request') {
    throw invalidArgument('Invalid x-oss-credential: expected <AccessKeyId>/<date>/<region>/oss/aliyun_v4_request.', { 'x-oss-credential': credentialText });
  }
  if (!/^[0-9a-f]{64}$/.test(signature)) throw invalidArgument('Invalid x-oss-signature: expected 64 lowercase hex digits.');
  const record = lookUp(options, credential.accessKeyId, fieldText(fields, 'x-oss-security-token'));
  const signedAt = parseIsoBasic(dateTime);
  if (signedAt === undefined) throw accessDenied('Invalid argument: x-oss-date.', { 'x-oss-date': dateTime }, '0002-00000502');
  if (credential.date !== dateTime.slice(0, 8)) throw invalidArgument('Invalid signing date in x-oss-credential.', { SigningDate: credential.date, RequestDate: dateTime });
  if (credential.region !== options.region) throw invalidArgument(`Invalid signing region in x-oss-credential: expected ${options.region}.`, { SigningRegion: credential.region });
  if (signedAt - options.nowMs > MAX_AHEAD_MS || options.nowMs - signedAt > MAX_AGE_MS) {
    throw accessDenied('The x-oss-date of the form is out of range.', { 'x-oss-date': dateTime, ServerTime: new Date(options.nowMs).toISOString() }, '0002-00000504');
  }
  for (const [name, value] of [['x-oss-signature-version', version], ['x-oss-credential', credentialText], ['x-oss-date', dateTime]] as const) {
    if (!pinsField(policy, name, value)) {
      throw new OssError(400, 'InvalidPolicyDocument', `Invalid Policy: a V4 policy must hold the condition {"${name}": "${value}"}.`);
    }
  }
  if (!sameText(v4Signature(record.accessKeySecret, credential.date, credential.region, policyText), signature)) {
    throw signatureMismatch(credential.accessKeyId, policyText, signature);
  }
  return { accessKeyId: credential.accessKeyId, kind: 'v4-form', credentials: record };
}

function verifyV1(fields: readonly FormField[], policyText: string, options: AuthenticateOptions): AuthenticatedCaller {
  const accessKeyId = fieldText(fields, 'OSSAccessKeyId') ?? '';
  const signature = fieldText(fields, 'Signature') ?? '';
  if (accessKeyId === '') throw invalidArgument('The OSSAccessKeyId form field is required.');
  if (signature === '') throw invalidArgument('The Signature form field is required.');
  const record = lookUp(options, accessKeyId, fieldText(fields, 'x-oss-security-token'));
  if (!sameText(v1Signature(record.accessKeySecret, policyText), signature)) throw signatureMismatch(accessKeyId, policyText, signature);
  return { accessKeyId, kind: 'v1-form', credentials: record };
}
