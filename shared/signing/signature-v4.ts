/**
 * OSS Signature V4 (`OSS4-HMAC-SHA256`) primitives: the credential scope, the string to sign, the
 * signing key, the hex signature and the `Authorization` header value. They sign whatever they are
 * given; deciding what may be signed is the parsers' and the authorizer's job.
 *
 * Checked against ali-oss 6.23 `lib/common/signUtils.js` (`getStringToSign`, `getSignatureV4`,
 * `authorizationV4`) and the published vectors of alibabacloud-oss-kotlin-sdk-v2
 * `oss-sdk/src/commonTest/kotlin/com/aliyun/kotlin/sdk/service/oss2/signer/RemoteSignerV4Test.kt`
 * (commit 13cbeacbff62622c88614b4e01875d91a9addd72).
 *
 * @example
 * ```ts
 * const scope = v4Scope('20231216', 'cn-hangzhou');
 * const stringToSign = v4StringToSign('20231216T162057Z', scope, canonicalRequest);
 * const signature = v4Signature(secret, '20231216', 'cn-hangzhou', stringToSign);
 * const header = v4Authorization({ accessKeyId, scope, signature });
 * ```
 */
import { createHash, createHmac } from 'node:crypto';

/** The algorithm name, first line of every V4 string to sign. */
export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';

/** The terminator of a credential scope and the last step of the signing key. */
export const V4_TERMINATOR = 'aliyun_v4_request';

/** The product OSS signs for. */
export const V4_PRODUCT = 'oss';

/** The payload hash of a request whose body is not signed. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** `yyyyMMdd'T'HHmmss'Z'` (UTC), the form of `x-oss-date` and of the string to sign's timestamp. */
export function v4Timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Reads a `yyyyMMdd'T'HHmmss'Z'` timestamp; undefined when it is not exactly one (a date that does
 * not exist, such as February 30 or 24:00:00, is not one).
 */
export function parseV4Timestamp(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hours, minutes, seconds] = match.map(Number) as [number, number, number, number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hours, minutes, seconds);
  return year >= 1970 && v4Timestamp(new Date(time)) === text ? time : undefined;
}

/** The credential scope `<yyyymmdd>/<region>/<product>/aliyun_v4_request`. */
export function v4Scope(date: string, region: string, product: string = V4_PRODUCT): string {
  return `${date}/${region}/${product}/${V4_TERMINATOR}`;
}

/** The credential, `<AccessKeyId>/<scope>`, as the `Authorization` header and `x-oss-credential` carry it. */
export function v4Credential(accessKeyId: string, scope: string): string {
  return `${accessKeyId}/${scope}`;
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `OSS4-HMAC-SHA256\n<timestamp>\n<scope>\n<hex SHA-256 of the canonical request>`. */
export function v4StringToSign(timestamp: string, scope: string, canonicalRequest: string): string {
  return `${V4_ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

/** The signing key: HMAC-SHA256 chain from `aliyun_v4<secret>` through date, region and product to `aliyun_v4_request`. */
export function v4SigningKey(accessKeySecret: string, date: string, region: string, product: string = V4_PRODUCT): Buffer {
  const step = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  return step(step(step(step(`aliyun_v4${accessKeySecret}`, date), region), product), V4_TERMINATOR);
}

/**
 * The lowercase hex HMAC-SHA256 of `stringToSign` under the signing key of `date` (yyyymmdd) and
 * `region`: a request's signature, or (over a base64 policy) a PostObject form's.
 */
export function v4Signature(accessKeySecret: string, date: string, region: string, stringToSign: string, product: string = V4_PRODUCT): string {
  return createHmac('sha256', v4SigningKey(accessKeySecret, date, region, product)).update(stringToSign, 'utf8').digest('hex');
}

/** What an `Authorization` header value is made of. */
export interface V4AuthorizationParts {
  readonly accessKeyId: string;
  readonly scope: string;
  /** Lowercase names of the additional signed headers, sorted; omitted from the value when empty. */
  readonly additionalHeaders?: readonly string[];
  readonly signature: string;
}

/** `OSS4-HMAC-SHA256 Credential=<AccessKeyId>/<scope>[,AdditionalHeaders=<h1;h2>],Signature=<hex>`. */
export function v4Authorization(parts: V4AuthorizationParts): string {
  const additional = parts.additionalHeaders !== undefined && parts.additionalHeaders.length > 0 ? `,AdditionalHeaders=${parts.additionalHeaders.join(';')}` : '';
  return `${V4_ALGORITHM} Credential=${v4Credential(parts.accessKeyId, parts.scope)}${additional},Signature=${parts.signature}`;
}
