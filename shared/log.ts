/**
 * Structured logs: one JSON line per request. Only the fields named in {@link RequestLogFields}
 * are written, so a secret, token, JWT or signature cannot reach a log by accident.
 */

/** What one request log line holds. */
export interface RequestLogFields {
  requestId?: string;
  function?: string;
  method?: string;
  identity?: string;
  scope?: string;
  /**
   * `hit`, `shared` (from the fleet's shared cache), `miss` (this request called STS), `coalesced`
   * (it shared another's call), `stale`, or
   * `ticket` (sign-request signed with the credentials of the session ticket the client sent).
   */
  cache?: 'hit' | 'shared' | 'miss' | 'coalesced' | 'stale' | 'ticket';
  stsRequestId?: string;
  /** The OSS operation sign-request signed, such as `PutObject`. */
  operation?: string;
  status?: number;
  errorCode?: string;
  durationMs?: number;
}

/** Writes one line of text. */
export type LogSink = (line: string) => void;

/** Writes request lines and rare operational events. */
export interface Logger {
  request(fields: RequestLogFields): void;
  event(level: 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, string | number>>): void;
}

const REQUEST_FIELDS: readonly (keyof RequestLogFields)[] = [
  'requestId', 'function', 'method', 'identity', 'scope', 'cache', 'stsRequestId', 'operation', 'status', 'errorCode', 'durationMs',
];

/**
 * Creates a logger writing JSON lines to `sink` (standard output by default, which Function
 * Compute ships to its log store).
 */
export function createLogger(sink: LogSink = (line) => process.stdout.write(`${line}\n`), now: () => Date = () => new Date()): Logger {
  return {
    request(fields) {
      const line: Record<string, unknown> = { time: now().toISOString(), level: 'info', message: 'request' };
      for (const name of REQUEST_FIELDS) if (fields[name] !== undefined) line[name] = fields[name];
      sink(JSON.stringify(line));
    },
    event(level, message, fields = {}) {
      sink(JSON.stringify({ time: now().toISOString(), level, message, ...fields }));
    },
  };
}

/** A {@link LogSink} that gathers lines and writes them together; `flush` writes what is pending now. */
export interface BatchedSink extends LogSink {
  flush(): void;
}

/**
 * A sink for a server that answers many requests at once: lines are gathered and written in one
 * call when the current turn of the event loop is done, instead of one write (a system call, as
 * standard output is synchronous on Linux) per request. Call `flush` before the process exits.
 *
 * @example
 * ```ts
 * const sink = batchedSink();
 * const logger = createLogger(sink);
 * process.once('SIGTERM', () => { sink.flush(); process.exit(0); });
 * ```
 */
export function batchedSink(write: (text: string) => void = (text) => process.stdout.write(text)): BatchedSink {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    write(text);
  };
  return Object.assign((line: string): void => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }, { flush });
}
