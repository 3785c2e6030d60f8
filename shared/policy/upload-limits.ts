/**
 * Upload limits a scope may set (`"upload": {"maxBytes", "contentTypes", "overwrite"}`), and the
 * checks every signing path applies before it signs an upload. They hold only where a signature
 * carries them: a PostObject policy carries all three, a signed request its Content-Type and its
 * `x-oss-forbid-overwrite` header; raw STS credentials carry none (a session policy cannot limit
 * size or type).
 */
import { TvmError } from '../errors';

/** A scope's upload limits; every one is optional. */
export interface UploadLimits {
  /** The largest object, in bytes. */
  readonly maxBytes?: number;
  /** Accepted media types, lowercase, such as `image/png` or `image/*`. */
  readonly contentTypes?: readonly string[];
  /** `false`: an upload may never replace an existing object. */
  readonly overwrite?: boolean;
}

/** The largest object a PostObject may upload (OSS: 5 GB), and so the largest `maxBytes`. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;

/** A media type without parameters, such as `image/png`. */
export const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** What an upload declares about itself. */
export interface UploadDescription {
  /** Its size in bytes, when known. */
  readonly bytes?: number;
  /** Its Content-Type as it will be stored; empty or absent when none is sent. */
  readonly contentType?: string;
}

/**
 * The media type of a Content-Type value: the part before any `;`, trimmed and lowercase;
 * empty for an empty value.
 *
 * @example
 * ```ts
 * mediaType('Text/Plain; charset=utf-8'); // 'text/plain'
 * ```
 */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** True when `contentType`'s media type is one of `accepted` (`type/*` accepts any subtype of `type`). */
export function contentTypeAccepted(contentType: string, accepted: readonly string[]): boolean {
  const type = mediaType(contentType);
  if (!MEDIA_TYPE.test(type)) return false;
  const major = type.slice(0, type.indexOf('/') + 1);
  return accepted.some((pattern) => pattern === type || (pattern.endsWith('/*') && pattern.slice(0, -1) === major));
}

/**
 * Refuses an upload that a scope's limits do not accept.
 *
 * @example
 * ```ts
 * requireUploadAccepted({ bytes: 2_000_000, contentType: 'image/png' }, { maxBytes: 1_048_576 });
 * // throws 403 UploadNotAllowed: "The upload is 2000000 bytes; this scope accepts at most 1048576 bytes (upload.maxBytes)."
 * ```
 * @throws {@link TvmError} 403 `UploadNotAllowed` naming the limit (`upload.maxBytes` or `upload.contentTypes`).
 */
export function requireUploadAccepted(upload: UploadDescription, limits: UploadLimits | undefined): void {
  if (limits === undefined) return;
  if (limits.maxBytes !== undefined && upload.bytes !== undefined && upload.bytes > limits.maxBytes) {
    throw refused(`The upload is ${upload.bytes} bytes; this scope accepts at most ${limits.maxBytes} bytes (upload.maxBytes).`);
  }
  const accepted = limits.contentTypes;
  if (accepted === undefined) return;
  const type = mediaType(upload.contentType ?? '');
  if (type === '') {
    throw refused(`This scope accepts only uploads of type ${accepted.join(', ')} (upload.contentTypes): send the file's Content-Type.`);
  }
  if (!contentTypeAccepted(type, accepted)) {
    const shown = MEDIA_TYPE.test(type) ? type : 'given';
    throw refused(`The ${shown} type is not accepted here; this scope accepts ${accepted.join(', ')} (upload.contentTypes).`);
  }
}

/** True when the limits forbid replacing an existing object. */
export function forbidsOverwrite(limits: UploadLimits | undefined): boolean {
  return limits?.overwrite === false;
}

function refused(message: string): TvmError {
  return new TvmError(403, 'UploadNotAllowed', message);
}
