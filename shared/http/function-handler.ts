/**
 * The frame every function shares, whatever transport carries its requests: set up once at cold
 * start, then for each request read it off the transport, answer a CORS preflight or run the
 * function's route, turn any refusal into its documented response, and write one log line. A setup
 * that fails (a bad configuration) is logged once and answers every request with its error, so the
 * function never runs half-configured.
 *
 * The frame knows no transport: the FC event adapter (`fc-event.ts`) and the web server adapter
 * (`web-server.ts`) each hand it an {@link IncomingCall} and send back the {@link HttpResponse}.
 */
import { randomUUID } from 'node:crypto';
import { TvmError, toTvmError } from '../errors';
import { type Logger, type RequestLogFields, createLogger } from '../log';
import type { AccessCredentials } from '../sts/sts-client';
import { type CorsPolicy, preflightResponse, withCorsHeaders } from './cors';
import { type HttpRequest, type HttpResponse, errorResponse } from './message';

/** One invocation, as a route sees it. */
export interface Invocation {
  readonly request: HttpRequest;
  readonly requestId: string;
  /** The function role's credentials, as the platform handed them, when it has a role. */
  readonly functionCredentials: AccessCredentials | undefined;
  /** Fields the route adds to the request's log line. */
  readonly log: RequestLogFields;
}

/** A function's own logic, given what its setup built. */
export type Route<App> = (app: App, invocation: Invocation) => Promise<HttpResponse>;

/** What a transport adapter hands the frame for one request. */
export interface IncomingCall {
  /** The platform's id of this request, when it gave one; otherwise the frame makes one. */
  readonly requestId?: string | undefined;
  /** The function role's credentials, as the platform handed them. */
  readonly functionCredentials?: AccessCredentials | undefined;
  /**
   * Reads the request off the transport.
   *
   * @throws {@link TvmError} 400 `MalformedRequest` for a request it cannot read, 413
   *   `PayloadTooLarge` for a body over `maxBodyBytes`.
   */
  readonly read: (maxBodyBytes: number) => HttpRequest | Promise<HttpRequest>;
}

/** A function behind the frame: one request in, its response out. Never rejects. */
export type HttpFunction = (call: IncomingCall) => Promise<HttpResponse>;

/** Options of {@link createHttpFunction}. */
export interface FunctionHandlerOptions<App> {
  readonly name: string;
  readonly maxBodyBytes: number;
  readonly setup: () => App;
  readonly route: Route<App>;
  /** What browsers may do; with it, `OPTIONS` is answered as a preflight (granting only allowed origins). */
  readonly cors?: (app: App) => CorsPolicy;
  readonly logger?: Logger;
}

/**
 * Builds a function. `setup` runs now, once; hand the result to a transport adapter.
 *
 * @example
 * ```ts
 * const vendToken = createHttpFunction({ name: 'vend-token', maxBodyBytes: 4096,
 *   setup: () => createVendingService(loadConfig(process.env)), route: vendToken });
 * export const handler = fcEventHandler(vendToken);          // an FC event function
 * createWebServer({ '/vend-token': vendToken }).listen(9000); // or a web function
 * ```
 */
export function createHttpFunction<App>(options: FunctionHandlerOptions<App>): HttpFunction {
  const logger = options.logger ?? createLogger();
  const app = runSetup(options, logger);
  const cors = app.ok ? options.cors?.(app.value) : undefined;
  return async (call) => {
    const started = performance.now();
    const requestId = typeof call.requestId === 'string' && call.requestId !== '' ? call.requestId : randomUUID();
    const log: RequestLogFields = { requestId, function: options.name };
    let request: HttpRequest | undefined;
    let response: HttpResponse;
    try {
      if (!app.ok) throw app.error;
      request = await call.read(options.maxBodyBytes);
      log.method = request.method;
      response =
        request.method === 'OPTIONS' && cors !== undefined
          ? preflightResponse(request, cors)
          : await options.route(app.value, { request, requestId, functionCredentials: call.functionCredentials, log });
    } catch (thrown) {
      const error = toTvmError(thrown);
      if (error.code === 'InternalError') logger.event('error', 'unexpected failure', describeCause(thrown, requestId));
      Object.assign(log, error.logFields, { errorCode: error.code });
      response = errorResponse(error, requestId);
    }
    if (cors !== undefined) response = withCorsHeaders(response, request, cors);
    log.status = response.statusCode;
    log.durationMs = Math.round((performance.now() - started) * 10) / 10;
    logger.request(log);
    return response;
  };
}

type SetupResult<App> = { ok: true; value: App } | { ok: false; error: TvmError };

function runSetup<App>(options: FunctionHandlerOptions<App>, logger: Logger): SetupResult<App> {
  try {
    return { ok: true, value: options.setup() };
  } catch (thrown) {
    const error = toTvmError(thrown);
    logger.event('error', 'the function cannot start', { function: options.name, errorCode: error.code, reason: error.message });
    return { ok: false, error };
  }
}

function describeCause(thrown: unknown, requestId: string): Record<string, string> {
  const error = thrown instanceof TvmError && thrown.cause !== undefined ? thrown.cause : thrown;
  const description = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
  return { requestId, error: description.slice(0, 200) };
}
