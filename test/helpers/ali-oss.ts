/**
 * ali-oss 6.23 as the tests drive it: the unmodified client, typed locally (it ships no types), built
 * from vend-token's answer or from bare keys, and the refusal it rejects with.
 */
import { createRequire } from 'node:module';
import { expect } from 'vitest';

export interface AliOssResult {
  res: { status: number; headers: Record<string, string> };
}

/** The ali-oss client methods the tests call. */
export interface AliOssClient {
  put(name: string, content: Buffer, options?: { headers?: Record<string, string>; mime?: string; meta?: Record<string, string> }): Promise<AliOssResult & { name: string }>;
  get(name: string, file?: null, options?: { headers?: Record<string, string>; process?: string; versionId?: string }): Promise<AliOssResult & { content: Buffer }>;
  head(name: string): Promise<AliOssResult & { status: number; meta: Record<string, string> | null }>;
  delete(name: string, options?: { versionId?: string }): Promise<AliOssResult>;
  multipartUpload(name: string, file: Buffer, options: { partSize: number; parallel?: number; mime?: string; progress?: (fraction: number) => void }): Promise<AliOssResult & { etag?: string; name: string }>;
  initMultipartUpload(name: string): Promise<AliOssResult & { uploadId: string }>;
  completeMultipartUpload(name: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<AliOssResult>;
  abortMultipartUpload(name: string, uploadId: string): Promise<AliOssResult>;
  listParts(name: string, uploadId: string): Promise<AliOssResult & { parts: unknown[] }>;
  list(query: Record<string, string | number>, options?: object): Promise<AliOssResult & { objects: Array<{ name: string }> | undefined; prefixes: string[] | null; nextMarker: string | null; isTruncated: boolean }>;
  listV2(query: Record<string, string | number>, options?: object): Promise<AliOssResult & { objects: Array<{ name: string; etag: string }> | undefined; prefixes: string[] | null; nextContinuationToken: string | null; isTruncated: boolean; keyCount: number }>;
  signatureUrl(name: string, options?: { expires?: number; method?: string }): string;
  signatureUrlV4(method: string, expires: number, request: object | undefined, objectName: string): Promise<string>;
  putSymlink(name: string, targetName: string, options?: object): Promise<AliOssResult>;
  getSymlink(name: string, options?: object): Promise<AliOssResult & { targetName: string }>;
  putACL(name: string, acl: string, options?: object): Promise<AliOssResult>;
}

/** What ali-oss rejects with when OSS refuses: the XML error's fields. */
export interface AliOssError extends Error {
  status: number;
  code: string;
  ecCode?: string;
  requestId?: string;
}

type AliOssConstructor = new (options: Record<string, unknown>) => AliOssClient;

/** The ali-oss constructor. */
export const AliOss = createRequire(import.meta.url)('ali-oss') as AliOssConstructor;

/** The keys a client signs with; `securityToken` for STS credentials. */
export interface AliOssKeys {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/**
 * An ali-oss client for `bucket` at a loopback `endpoint` (path style, as ali-oss addresses an IP
 * endpoint with `sldEnable`), signing with `keys`; `options` are passed on (e.g. `authorizationV4: true`).
 */
export function aliOssClient(endpoint: string, bucket: string, keys: AliOssKeys, options: Record<string, unknown> = {}): AliOssClient {
  return new AliOss({
    endpoint,
    bucket,
    region: 'oss-cn-hangzhou',
    accessKeyId: keys.accessKeyId,
    accessKeySecret: keys.accessKeySecret,
    ...(keys.securityToken === undefined ? {} : { stsToken: keys.securityToken }),
    refreshSTSTokenInterval: 3600_000,
    sldEnable: true,
    timeout: 10_000,
    ...options,
  });
}

/**
 * The unmodified client an app builds from vend-token's answer (Endpoint, Bucket, Region and the three
 * keys), path style as against an IP endpoint; `options` are passed on.
 */
export function aliOssFromVended(vended: Readonly<Record<string, unknown>>, options: Record<string, unknown> = {}): AliOssClient {
  const text = (name: string): string => String(vended[name] ?? '');
  return aliOssClient(
    text('Endpoint'),
    text('Bucket'),
    { accessKeyId: text('AccessKeyId'), accessKeySecret: text('AccessKeySecret'), securityToken: text('SecurityToken') },
    { region: `oss-${text('Region')}`, ...options },
  );
}

/** The OSS refusal `promise` rejects with; fails the test when it resolves. */
export async function ossRefusal(promise: Promise<unknown>): Promise<{ status: number; code: string; ec: string | undefined; message: string }> {
  const error = (await promise.then(() => undefined, (thrown: unknown) => thrown)) as AliOssError | undefined;
  expect(error, 'OSS should have refused the request').toBeDefined();
  return { status: error?.status ?? 0, code: error?.code ?? '', ec: error?.ecCode, message: error?.message ?? '' };
}

/** The pure V4 functions of ali-oss 6.23 (`lib/common/signUtils.js`): the tests' independent oracle for signatures. */
export interface AliOssSignUtilsV4 {
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string;
  getStringToSign(region: string, date: string, canonicalRequest: string, product?: string): string;
  getSignatureV4(accessKeySecret: string, date: string, region: string, stringToSign: string, product?: string): string;
}

export const aliOssSignUtils = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as AliOssSignUtilsV4;
