/**
 * The one error type of oss-tvm. Every refusal a caller can see is a {@link TvmError}: an HTTP
 * status, a stable machine-readable {@link ErrorCode} and a message a person understands. The
 * message never carries a secret, a token or a signature; `cause` is kept for logs only and is
 * never sent to a caller.
 */
import { isoSeconds } from './time';

/** Stable error codes. Apps may switch on them; they never change meaning. */
export type ErrorCode =
  | 'InvalidToken'
  | 'IdentityProviderUnavailable'
  | 'InvalidIdentity'
  | 'UnknownScope'
  | 'MissingScope'
  | 'MalformedRequest'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'NotFound'
  | 'PayloadTooLarge'
  | 'PolicyTooLarge'
  | 'InvalidConfiguration'
  | 'MissingFunctionCredentials'
  | 'TooManyRequests'
  | 'StsThrottled'
  | 'StsUnavailable'
  | 'StsInvalidResponse'
  | `Sts.${string}`
  | 'MalformedStringToSign'
  | 'VerbNotAllowed'
  | 'DateOutOfRange'
  | 'ResourceNotAllowed'
  | 'BucketNotAllowed'
  | 'KeyNotAllowed'
  | 'SubResourceNotAllowed'
  | 'HeaderNotAllowed'
  | 'ListingNotSignable'
  | 'OperationNotAllowed'
  | 'SecurityTokenMismatch'
  | 'SigningModeNotAllowed'
  | 'CredentialScopeMismatch'
  | 'RegionNotAllowed'
  | 'ProductNotAllowed'
  | 'UploadNotAllowed'
  | 'InternalError';

/** Options of a {@link TvmError} beyond status, code and message. */
export interface TvmErrorOptions {
  /** Extra response headers, such as `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
  /** The underlying error, for logs only. */
  cause?: unknown;
  /** Fields added to the error body after the standard four, for the caller (never secrets of others). */
  bodyFields?: Record<string, string>;
  /** Fields worth logging with the refusal (such as an upstream request id); never sent to a caller. */
  logFields?: Record<string, string>;
}

/**
 * A refusal with an HTTP status and a stable code.
 *
 * @example
 * ```ts
 * throw new TvmError(403, 'UnknownScope', 'The scope "admin" is not configured.');
 * ```
 */
export class TvmError extends Error {
  override readonly name = 'TvmError';
  readonly headers: Readonly<Record<string, string>>;
  readonly logFields: Readonly<Record<string, string>>;
  readonly bodyFields: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options: TvmErrorOptions = {},
  ) {
    // A refusal is an answer, not a fault: its stack is never logged or sent, so none is captured.
    // Capturing one cost a few µs per refusal, which a flood of bad requests would pay in full.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.headers = options.headers ?? {};
    this.logFields = options.logFields ?? {};
    this.bodyFields = options.bodyFields ?? {};
  }
}

/**
 * The refusal of a date outside its window: 403 `DateOutOfRange` with the server time in the
 * `ServerTime` body field (`yyyy-MM-ddTHH:mm:ssZ`) and the `Date` header, so a client whose clock
 * is off can correct itself.
 */
export function dateOutOfRange(message: string, now: number): TvmError {
  const serverTime = new Date(now);
  return new TvmError(403, 'DateOutOfRange', message, { headers: { Date: serverTime.toUTCString() }, bodyFields: { ServerTime: isoSeconds(serverTime) } });
}

/** True when `error` is a {@link TvmError}. */
export function isTvmError(error: unknown): error is TvmError {
  return error instanceof TvmError;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  StatusCode: number;
  ErrorCode: ErrorCode;
  ErrorMessage: string;
  RequestId: string;
}

/** Turns any thrown value into a {@link TvmError}; unknown failures become a generic 500. */
export function toTvmError(error: unknown): TvmError {
  if (isTvmError(error)) return error;
  return new TvmError(500, 'InternalError', 'The request failed unexpectedly. Try again later.', {
    cause: error,
  });
}
