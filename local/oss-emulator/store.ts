/** In-memory buckets: objects, multipart uploads, ETags and listing. */
import { createHash, randomBytes } from 'node:crypto';

export interface StoredObject {
  body: Buffer;
  /** `"<UPPER HEX MD5>"`, or `"<UPPER HEX>-<parts>"` for a multipart object. */
  etag: string;
  contentType?: string;
  /** `x-oss-meta-*` headers by lower-case name (prefix included). */
  meta: Record<string, string>;
  /** Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires as sent. */
  headers: Record<string, string>;
  lastModified: number;
  type: 'Normal' | 'Multipart';
}

export interface StoredPart {
  body: Buffer;
  etag: string;
  lastModified: number;
}

export interface Upload {
  uploadId: string;
  key: string;
  initiated: number;
  contentType?: string;
  meta: Record<string, string>;
  headers: Record<string, string>;
  parts: Map<number, StoredPart>;
}

export class BucketStore {
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, Upload>();

  constructor(readonly name: string) {}
}

export function md5(body: Buffer): Buffer {
  return createHash('md5').update(body).digest();
}

/** `"<UPPER HEX MD5>"`, as OSS answers for a simple upload or a part. */
export function simpleEtag(body: Buffer): string {
  return `"${md5(body).toString('hex').toUpperCase()}"`;
}

/** `"<UPPER HEX MD5 of the concatenated binary part MD5s>-<count>"`. */
export function multipartEtag(partEtags: readonly string[]): string {
  const digests = partEtags.map((etag) => Buffer.from(etag.replace(/"/g, ''), 'hex'));
  return `"${md5(Buffer.concat(digests)).toString('hex').toUpperCase()}-${partEtags.length}"`;
}

export function newUploadId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export interface ListInput {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** Only keys strictly after this one are listed. */
  after: string;
}

export interface ListOutput {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, when truncated. */
  next?: string;
}

/** One page of `keys` (any order), with `CommonPrefixes` rolled up at `delimiter`. */
export function listKeys(allKeys: Iterable<string>, input: ListInput): ListOutput {
  const sorted = [...allKeys].filter((key) => key.startsWith(input.prefix) && key > input.after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let count = 0;
  const skipUnder = input.delimiter !== '' && input.after.endsWith(input.delimiter) && input.after.startsWith(input.prefix) ? input.after : undefined;
  for (const key of sorted) {
    if (skipUnder !== undefined && key.startsWith(skipUnder)) continue;
    let entry = key;
    let isPrefix = false;
    if (input.delimiter !== '') {
      const at = key.indexOf(input.delimiter, input.prefix.length);
      if (at >= 0) {
        entry = key.slice(0, at + input.delimiter.length);
        isPrefix = true;
      }
    }
    if (isPrefix && entry === commonPrefixes[commonPrefixes.length - 1]) continue;
    if (count === input.maxKeys) return { keys, commonPrefixes, isTruncated: true, ...(last === undefined ? {} : { next: last }) };
    if (isPrefix) commonPrefixes.push(entry);
    else keys.push(entry);
    last = entry;
    count += 1;
  }
  return { keys, commonPrefixes, isTruncated: false };
}
