/**
 * The Alibaba Cloud RPC request signature, version 1.0 (HMAC-SHA1), as STS AssumeRole uses it.
 * Written here rather than taken from `@alicloud/sts-sdk`, whose canonical query leaves
 * `! ' ( ) *` unescaped and so mis-signs every policy with a wildcard (see README).
 */
import { createHmac } from 'node:crypto';

/** Parameters of one RPC request, before signing. */
export type RpcParameters = Readonly<Record<string, string>>;

/**
 * Percent-encodes a value as the RPC signature specification requires: UTF-8, every byte except
 * `A-Z a-z 0-9 - _ . ~` encoded, a space as `%20` and `*` as `%2A`.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The canonicalized query string: every parameter but `Signature`, sorted by name, encoded. */
export function canonicalizedQuery(parameters: RpcParameters): string {
  return Object.keys(parameters)
    .filter((name) => name !== 'Signature')
    .sort(compareBytes)
    .map((name) => `${percentEncode(name)}=${percentEncode(parameters[name] ?? '')}`)
    .join('&');
}

/** The string to sign: `METHOD&%2F&percentEncode(canonicalizedQuery)`. */
export function rpcStringToSign(method: 'GET' | 'POST', parameters: RpcParameters): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalizedQuery(parameters))}`;
}

/**
 * Signs an RPC request: `base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
 *
 * @example
 * ```ts
 * const signature = rpcSignature('POST', params, accessKeySecret);
 * const body = new URLSearchParams({ ...params, Signature: signature });
 * ```
 */
export function rpcSignature(
  method: 'GET' | 'POST',
  parameters: RpcParameters,
  accessKeySecret: string,
): string {
  return createHmac('sha1', `${accessKeySecret}&`)
    .update(rpcStringToSign(method, parameters))
    .digest('base64');
}

/** Encodes signed parameters as an `application/x-www-form-urlencoded` body in RPC encoding. */
export function formEncode(parameters: RpcParameters): string {
  return Object.keys(parameters)
    .map((name) => `${percentEncode(name)}=${percentEncode(parameters[name] ?? '')}`)
    .join('&');
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
