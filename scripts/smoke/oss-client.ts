/** The part of ali-oss 6.23.0 the smoke test uses, typed locally (ali-oss ships no types). */
import { createRequire } from 'node:module';
import { usesPathStyle } from './oss-endpoint';
import type { VendedCredentials } from './vend-token-response';

/** The ali-oss client methods the smoke test calls. */
export interface OssClient {
  put(name: string, content: Buffer, options?: { mime?: string }): Promise<{ res: { status: number } }>;
  get(name: string): Promise<{ content: Buffer; res: { status: number } }>;
  delete(name: string): Promise<{ res: { status: number } }>;
}

interface OssClientOptions {
  accessKeyId: string;
  accessKeySecret: string;
  stsToken: string;
  bucket: string;
  endpoint: string;
  region: string;
  secure: boolean;
  sldEnable: boolean;
  timeout: number;
  refreshSTSTokenInterval: number;
  authorizationV4: boolean;
}

type OssClientConstructor = new (options: OssClientOptions) => OssClient;

const AliOss = createRequire(import.meta.url)('ali-oss') as OssClientConstructor;

/**
 * An ali-oss client on vended credentials, for `endpoint` (the vended one or an override). A
 * loopback endpoint is addressed path-style, as `objectUrl` addresses it. It signs with V4, which
 * every bucket accepts: buckets created since 2025-09-01 refuse V1.
 */
export function createOssClient(credentials: VendedCredentials, endpoint: string, timeoutMs: number): OssClient {
  return new AliOss({
    accessKeyId: credentials.AccessKeyId,
    accessKeySecret: credentials.AccessKeySecret,
    stsToken: credentials.SecurityToken,
    bucket: credentials.Bucket,
    endpoint,
    region: `oss-${credentials.Region}`,
    secure: new URL(endpoint).protocol === 'https:',
    sldEnable: usesPathStyle(endpoint),
    timeout: timeoutMs,
    // Set explicitly only to keep ali-oss from warning that the token is never refreshed: one run outlives no token.
    refreshSTSTokenInterval: 60 * 60 * 1000,
    authorizationV4: true,
  });
}
