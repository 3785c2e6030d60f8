/** Random identifiers shaped like STS's: access keys, role ids, security tokens, request ids. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && text.length < length) text += BASE62.charAt(byte % 62);
    }
  }
  return text;
}

export function randomDigits(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length) digits += String(randomInt(0, 10));
  return digits;
}

/** An opaque token shaped like STS's: `CAIS` and a long base64 run (with `+`, `/` and `=`). */
export function randomSecurityToken(): string {
  return `CAIS${randomBytes(241).toString('base64')}`;
}

export function newRequestId(): string {
  return randomUUID().toUpperCase();
}
