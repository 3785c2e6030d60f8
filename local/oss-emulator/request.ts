/** The emulator's view of an HTTP request: method, bucket, decoded key, headers and query. */
import { OssError } from './errors';

/** A query parameter as sent: decoded name, decoded value or `null` when the parameter had no `=`. */
export type QueryEntry = readonly [name: string, value: string | null];

export interface OssRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The addressed bucket; undefined for the service (`/`). */
  readonly bucket: string | undefined;
  /** The decoded object key; `''` for bucket-level requests. */
  readonly key: string;
  /** Header values by lower-case name (repeated headers joined with `,`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: readonly QueryEntry[];
}

/** Where a request path and Host header may point: a bucket (or none) and a key. */
export interface Addressing {
  readonly bucket: string | undefined;
  readonly key: string;
  readonly style: 'path' | 'virtual-host';
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new OssError(400, 'InvalidURI', `Couldn't parse the specified URI: ${text}`);
  }
}

/** Splits a raw query string (without `?`) into decoded entries, in order. `+` stays a plus sign. */
export function parseQuery(raw: string): QueryEntry[] {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      return equals < 0
        ? ([decodeComponent(part), null] as const)
        : ([decodeComponent(part.slice(0, equals)), decodeComponent(part.slice(equals + 1))] as const);
    });
}

/** The first value of query parameter `name` (`''` for a bare name), or undefined. */
export function queryValue(request: Pick<OssRequest, 'query'>, name: string): string | undefined {
  const entry = request.query.find(([entryName]) => entryName === name);
  return entry === undefined ? undefined : (entry[1] ?? '');
}

export function hasQuery(request: Pick<OssRequest, 'query'>, name: string): boolean {
  return request.query.some(([entryName]) => entryName === name);
}

/**
 * The bucket named by a virtual-host-style Host header (`<bucket>.<domain>`), if the Host is one: not
 * an IP address or `localhost`, and a first label that is a known bucket or does not look like an
 * OSS service endpoint (`oss-<region>…`).
 */
export function virtualHostBucket(host: string | undefined, buckets: ReadonlySet<string> = new Set()): string | undefined {
  if (!host || host.startsWith('[')) return undefined;
  const hostname = (host.split(':')[0] ?? '').toLowerCase();
  if (hostname === 'localhost' || IPV4.test(hostname)) return undefined;
  const labels = hostname.split('.');
  const first = labels[0] ?? '';
  if (labels.length < 2 || first === '') return undefined;
  if (buckets.has(first)) return first;
  return first === 'oss' || first.startsWith('oss-') ? undefined : first;
}

function pathStyle(rawPath: string): Addressing {
  const path = rawPath.replace(/^\/+/, '');
  if (path === '') return { bucket: undefined, key: '', style: 'path' };
  const slash = path.indexOf('/');
  return slash < 0
    ? { bucket: decodeComponent(path), key: '', style: 'path' }
    : { bucket: decodeComponent(path.slice(0, slash)), key: decodeComponent(path.slice(slash + 1)), style: 'path' };
}

/**
 * The ways a request can be read, most likely first. A Host `<bucket>.<domain>` (not an IP address,
 * not `localhost`, not `oss-…`) selects virtual-host style: the whole path is the key. ali-oss with an
 * IP endpoint always sends such a Host (`<bucket>.oss-<region>.aliyuncs.com`), with `/<key>` as the path, or `/<bucket>/<key>` with
 * `sldEnable`; when the path starts with the Host's bucket both readings are offered, path style
 * first, and the caller keeps the one whose signature verifies.
 */
export function addressings(rawPath: string, host: string | undefined, buckets: ReadonlySet<string> = new Set()): Addressing[] {
  const hostBucket = virtualHostBucket(host, buckets);
  const byPath = pathStyle(rawPath);
  if (hostBucket === undefined) return [byPath];
  const byHost: Addressing = { bucket: hostBucket, key: decodeComponent(rawPath.replace(/^\//, '')), style: 'virtual-host' };
  return byPath.bucket === hostBucket ? [byPath, byHost] : [byHost];
}
