/**
 * The frame every function shares: set up once at cold start, then for each invocation parse the
 * event, run the function's route, turn any refusal into its documented response, and write one
 * log line. A setup that fails (a bad configuration) is logged once and answers every request
 * with its error, so the function never runs half-configured.
 */
import { randomUUID } from 'node:crypto';
import { TvmError, toTvmError } from '../errors';
import { type Logger, type RequestLogFields, createLogger } from '../log';
import type { AccessCredentials } from '../sts/sts-client';
import { type CorsPolicy, preflightResponse, withCorsHeaders } from './cors';
import { type FcContext, type HttpRequest, type HttpResponse, errorResponse, parseHttpEvent } from './fc-event';

/** One invocation, as a route sees it. */
export interface Invocation {
  readonly request: HttpRequest;
  readonly requestId: string;
  /** The function role's credentials from the FC context, when it has a role. */
  readonly functionCredentials: AccessCredentials | undefined;
  /** Fields the route adds to the request's log line. */
  readonly log: RequestLogFields;
}

/** A function's own logic, given what its setup built. */
export type Route<App> = (app: App, invocation: Invocation) => Promise<HttpResponse>;

/** Options of {@link createFunctionHandler}. */
export interface FunctionHandlerOptions<App> {
  readonly name: string;
  readonly maxBodyBytes: number;
  readonly setup: () => App;
  readonly route: Route<App>;
  /** What browsers may do; with it, `OPTIONS` is answered as a preflight (granting only allowed origins). */
  readonly cors?: (app: App) => CorsPolicy;
  readonly logger?: Logger;
}

/** An FC 3.0 event handler for an HTTP trigger. */
export type FcHttpHandler = (event: unknown, context?: FcContext) => Promise<HttpResponse>;

/**
 * Builds an FC event handler. `setup` runs now, once.
 *
 * @example
 * ```ts
 * export const handler = createFunctionHandler({ name: 'vend-token', maxBodyBytes: 4096,
 *   setup: () => createVendingService(loadConfig(process.env)), route: vendToken });
 * ```
 */
export function createFunctionHandler<App>(options: FunctionHandlerOptions<App>): FcHttpHandler {
  const logger = options.logger ?? createLogger();
  const app = runSetup(options, logger);
  const cors = app.ok ? options.cors?.(app.value) : undefined;
  return async (event, context = {}) => {
    const started = performance.now();
    const requestId = typeof context.requestId === 'string' && context.requestId !== '' ? context.requestId : randomUUID();
    const log: RequestLogFields = { requestId, function: options.name };
    let request: HttpRequest | undefined;
    let response: HttpResponse;
    try {
      if (!app.ok) throw app.error;
      request = parseHttpEvent(event, options.maxBodyBytes);
      log.method = request.method;
      response =
        request.method === 'OPTIONS' && cors !== undefined
          ? preflightResponse(request, cors)
          : await options.route(app.value, { request, requestId, functionCredentials: readCredentials(context), log });
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

function readCredentials(context: FcContext): AccessCredentials | undefined {
  const credentials = context.credentials;
  if (!credentials?.accessKeyId || !credentials.accessKeySecret) return undefined;
  return {
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
  };
}

function describeCause(thrown: unknown, requestId: string): Record<string, string> {
  const error = thrown instanceof TvmError && thrown.cause !== undefined ? thrown.cause : thrown;
  const description = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
  return { requestId, error: description.slice(0, 200) };
}
