/**
 * STS credentials sealed with AES-256-GCM under a 32-byte key, bound to associated data: what
 * session tickets and the shared credential cache both store. The sealed form is base64url of
 * IV (12 bytes), ciphertext and tag (16 bytes); opening it with another key, other associated data,
 * or after any change to a byte gives nothing, never an error and never other credentials.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { StsCredentials } from './sts-client';

/** Bytes of a sealing key: AES-256. */
export const SEALING_KEY_BYTES = 32;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals `credentials` under `key`, bound to `associatedData`.
 *
 * @example
 * ```ts
 * const sealed = sealCredentials(key, credentials, Buffer.from('what it is for'));
 * const same = openCredentials(key, sealed, Buffer.from('what it is for'));
 * ```
 */
export function sealCredentials(key: Uint8Array, credentials: StsCredentials, associatedData: Uint8Array): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData);
  const plaintext = JSON.stringify({ a: credentials.accessKeyId, s: credentials.accessKeySecret, t: credentials.securityToken, e: credentials.expiration.getTime() });
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
}

/**
 * The credentials `sealed` holds, or undefined unless it is exactly what {@link sealCredentials}
 * made with this key and these associated data (canonical base64url, authentic, well-formed).
 */
export function openCredentials(key: Uint8Array, sealed: string, associatedData: Uint8Array): StsCredentials | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES || bytes.toString('base64url') !== sealed) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    const fields = JSON.parse(plaintext) as Record<string, unknown>;
    const { a, s, t, e } = fields;
    if (typeof a !== 'string' || typeof s !== 'string' || typeof t !== 'string' || typeof e !== 'number' || !Number.isFinite(e)) return undefined;
    return { accessKeyId: a, accessKeySecret: s, securityToken: t, expiration: new Date(e) };
  } catch {
    return undefined;
  }
}
