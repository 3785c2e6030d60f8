import { createHmac } from 'node:crypto';

/**
 * The OSS V1 signature of a string-to-sign: `base64(HMAC-SHA1(AccessKeySecret, content))`,
 * over the UTF-8 bytes of the content.
 */
export function ossV1Signature(accessKeySecret: string, content: string): string {
  return createHmac('sha1', accessKeySecret).update(content, 'utf8').digest('base64');
}

/** The Authorization header value the SDKs put on the request: `OSS <AccessKeyId>:<signature>`. */
export function ossV1Authorization(accessKeyId: string, accessKeySecret: string, content: string): string {
  return `OSS ${accessKeyId}:${ossV1Signature(accessKeySecret, content)}`;
}
