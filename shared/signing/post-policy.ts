/**
 * The PostObject policy sign-request builds itself, so a browser or mini-program form can upload to
 * OSS with no more freedom than the caller's scope gives: one key (or keys under one sub-prefix),
 * at most so many bytes, one Content-Type, no overwrite when the scope forbids it, and, for V4, the
 * signature fields and the security token pinned as OSS requires (OSS "POST V4 signature";
 * alibabacloud-oss-go-sdk-v2 `sample/post_object.go`, commit 2b33f3e7c6fdc49eadd16fecd556bd6270169abf).
 * The client never supplies a condition. Pure: the same input gives byte-identical JSON.
 */
import { V4_ALGORITHM } from './signature-v4';

/** Which keys the form may upload to. */
export type PostKey = { readonly key: string } | { readonly keyPrefix: string };

/** How the form is signed, as far as the policy must say. */
export type PostSignatureFields =
  | { readonly version: 'v4'; readonly credential: string; readonly date: string }
  | { readonly version: 'v1' };

/** Input of {@link buildPostPolicy}. */
export interface PostPolicyInput {
  readonly bucket: string;
  readonly target: PostKey;
  /** The largest file accepted, in bytes. */
  readonly maxBytes: number;
  /** The exact Content-Type the form must send; no condition when undefined. */
  readonly contentType?: string;
  readonly forbidOverwrite: boolean;
  readonly expiration: Date;
  readonly signature: PostSignatureFields;
  /** The signing credentials' security token, pinned in a V4 policy. */
  readonly securityToken?: string;
}

/** A policy condition as OSS reads it. */
export type PostCondition = Readonly<Record<string, string>> | readonly (string | number | readonly string[])[];

/** A built policy. */
export interface BuiltPostPolicy {
  readonly document: { readonly expiration: string; readonly conditions: readonly PostCondition[] };
  readonly json: string;
  /** The `policy` form field: base64 of the UTF-8 JSON, also what is signed. */
  readonly base64: string;
}

/**
 * Builds the policy of one form upload.
 *
 * @example
 * ```ts
 * const { base64 } = buildPostPolicy({
 *   bucket: 'photos', target: { key: 'users/alice/cat.png' }, maxBytes: 1_048_576, contentType: 'image/png',
 *   forbidOverwrite: false, expiration: new Date(Date.now() + 600_000),
 *   signature: { version: 'v4', credential: 'STS.x/20261201/cn-hangzhou/oss/aliyun_v4_request', date: '20261201T100000Z' },
 *   securityToken: token,
 * });
 * ```
 */
export function buildPostPolicy(input: PostPolicyInput): BuiltPostPolicy {
  const conditions: PostCondition[] = [
    { bucket: input.bucket },
    'key' in input.target ? ['eq', '$key', input.target.key] : ['starts-with', '$key', input.target.keyPrefix],
    ['content-length-range', 0, input.maxBytes],
  ];
  if (input.contentType !== undefined) conditions.push(['eq', '$content-type', input.contentType]);
  if (input.forbidOverwrite) conditions.push(['eq', '$x-oss-forbid-overwrite', 'true']);
  if (input.signature.version === 'v4') {
    conditions.push({ 'x-oss-signature-version': V4_ALGORITHM }, { 'x-oss-credential': input.signature.credential }, { 'x-oss-date': input.signature.date });
    if (input.securityToken !== undefined) conditions.push({ 'x-oss-security-token': input.securityToken });
  }
  const document = { expiration: input.expiration.toISOString(), conditions };
  const json = JSON.stringify(document);
  return { document, json, base64: Buffer.from(json, 'utf8').toString('base64') };
}
