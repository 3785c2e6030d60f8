/**
 * What sign-request authorizes, whatever the signature version: the request a content describes,
 * read by the V1 string-to-sign parser or the V4 canonical-request parser. The operation table,
 * the header allow-list, the key rules and the date rules of `authorize-signing.ts` apply to it.
 */

/** HTTP methods a content may sign. */
export const SIGNABLE_VERBS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;
export type SignableVerb = (typeof SIGNABLE_VERBS)[number];

/** When a request is valid: at its request time (`date`), or until a presigned URL expires. */
export type RequestDate =
  | { readonly kind: 'date'; readonly time: number }
  /** `signedAt`: when a V4 presigned URL was signed (its `x-oss-date`); V1 URLs carry no signing time. */
  | { readonly kind: 'expires'; readonly time: number; readonly signedAt?: number };

/** A request to be signed, in terms of what OSS does with it. Times are in ms. */
export interface SignableRequest {
  readonly verb: SignableVerb;
  /** The signed Content-MD5, empty when none. */
  readonly contentMd5: string;
  /** The signed Content-Type, empty when none. */
  readonly contentType: string;
  readonly date: RequestDate;
  /** Signed x-oss headers, `[name, value]`, names lowercase and strictly ascending. */
  readonly headers: readonly (readonly [string, string])[];
  /** The bucket; empty for the service resource `/`. */
  readonly bucket: string;
  /** The object key (decoded); empty for bucket- and service-level resources. */
  readonly key: string;
  /** Signed sub-resources or query parameters, `[name, value]` decoded, names strictly ascending; `value` undefined for a bare name. */
  readonly subresources: readonly (readonly [string, string | undefined])[];
}
