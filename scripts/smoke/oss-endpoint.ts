/** Where OSS objects live: virtual-host URLs for OSS host names, path-style URLs for loopback sandboxes. */
import { isIP } from 'node:net';

/** Whether `value` is an absolute `http://` or `https://` URL. */
export function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
}

/**
 * Whether objects behind `endpoint` are addressed path-style (`<endpoint>/<bucket>/<key>`): true for
 * an IP address or `localhost`, where `<bucket>.<host>` cannot resolve, as for a sandbox OSS on
 * loopback; false for host names such as `oss-cn-hangzhou.aliyuncs.com`, which OSS serves
 * virtual-host style only.
 */
export function usesPathStyle(endpoint: string): boolean {
  const hostname = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(hostname) !== 0 || hostname === 'localhost';
}

/**
 * The URL of an object: `<scheme>://<bucket>.<endpoint host>/<key>` (virtual-host), or
 * `<endpoint>/<bucket>/<key>` when {@link usesPathStyle}. The key is percent-encoded as ali-oss
 * encodes it, with its `/` kept.
 *
 * @example
 * ```ts
 * objectUrl('https://oss-cn-hangzhou.aliyuncs.com', 'photos', 'users/alice/a.txt');
 * // → 'https://photos.oss-cn-hangzhou.aliyuncs.com/users/alice/a.txt'
 * objectUrl('http://127.0.0.1:9100', 'photos', 'users/alice/a.txt');
 * // → 'http://127.0.0.1:9100/photos/users/alice/a.txt'
 * ```
 */
export function objectUrl(endpoint: string, bucket: string, key: string): string {
  const url = new URL(endpoint);
  const encodedKey = encodeURIComponent(key).replaceAll('%2F', '/');
  if (usesPathStyle(endpoint)) return `${url.origin}/${bucket}/${encodedKey}`;
  return `${url.protocol}//${bucket}.${url.host}/${encodedKey}`;
}
