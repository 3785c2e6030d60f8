/** One-line descriptions of what went wrong in a step: refusals, OSS errors, network errors. */

const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
};

/**
 * Describes a refusal from vend-token or sign-request by its status, `ErrorCode`, `ErrorMessage` and
 * `RequestId` (`HTTP 401 InvalidToken: The token has expired. (request 1-…)`), or by its status alone
 * when the body is not the functions' JSON error.
 *
 * @param body - the parsed JSON body, or the body text (parsed here), or `undefined`.
 */
export function describeRefusal(status: number, body: unknown): string {
  const error = typeof body === 'string' ? parseJsonBody(body) : body;
  if (typeof error !== 'object' || error === null) return `HTTP ${status}`;
  const field = (name: string): string | undefined => {
    const value = (error as Record<string, unknown>)[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const code = field('ErrorCode');
  const message = field('ErrorMessage');
  const requestId = field('RequestId');
  return `HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}${requestId ? ` (request ${requestId})` : ''}`;
}

/**
 * Describes an error thrown by ali-oss or `fetch` in a few words: `HTTP 403 AccessDenied (request …)`
 * for an OSS error, `connection refused (ECONNREFUSED)` for a network error, `timed out` for a
 * timeout. Never the whole message, which for ali-oss holds agent statistics and headers.
 */
export function describeRequestError(error: unknown): string {
  const details = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown; status?: unknown; code?: unknown; requestId?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown };
  };
  if (typeof details.status === 'number' && details.status > 0) {
    const code = typeof details.code === 'string' ? ` ${details.code}` : '';
    const requestId = typeof details.requestId === 'string' && details.requestId ? ` (request ${details.requestId})` : '';
    return `HTTP ${details.status}${code}${requestId}`;
  }
  const name = typeof details.name === 'string' ? details.name : '';
  if (name === 'TimeoutError' || name.endsWith('TimeoutError')) return 'timed out';
  const message = typeof details.message === 'string' ? details.message : String(error);
  const errno = typeof details.cause?.code === 'string' ? details.cause.code : /\b(E[A-Z_]{3,})\b/.exec(message)?.[1];
  if (errno !== undefined) return `${NETWORK_ERRORS[errno] ?? 'network error'} (${errno})`;
  const causeMessage = typeof details.cause?.message === 'string' ? `: ${details.cause.message}` : '';
  return firstLine(`${message}${causeMessage}`);
}

/** The `<Code>` of an OSS XML error body, if it has one. */
export function ossErrorCode(xml: string): string | undefined {
  return /<Code>([^<]{1,100})<\/Code>/.exec(xml)?.[1];
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** The JSON value of a response body, or `undefined` when it is not JSON. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
