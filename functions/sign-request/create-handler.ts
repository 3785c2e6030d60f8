/**
 * sign-request: signs OSS requests for apps that sign themselves (V1 string-to-sign contents for
 * the classic SDKs' self-signing mode; V4 for the new SDKs' remote signers), only when the caller's
 * session policy allows the request they describe; `GET /` opens a signing session. One function
 * behind either adapter: the FC 3.0 event handler or the web server; all decisions live in shared/.
 */
import type { Environment } from '../../shared/config/load-config';
import { type FcHttpHandler, fcEventHandler } from '../../shared/http/fc-event';
import { type HttpFunction, createHttpFunction } from '../../shared/http/function-handler';
import { answerSignRequest } from '../../shared/signing/answer-sign-request';
import { MAX_SIGN_REQUEST_BYTES } from '../../shared/signing/sign-request';
import { SESSION_TICKET_HEADER } from '../../shared/signing/session-ticket';
import { EXPIRATION_HEADER, SECURITY_TOKEN_HEADER } from '../../shared/signing/signing-response';
import { type VendingFunctionOptions, vendingSetup } from '../../shared/vending/caller-credentials';

/** Builds sign-request for an environment, ready for either adapter; its setup runs now. */
export function createSignRequestFunction(environment: Environment, options: VendingFunctionOptions = {}): HttpFunction {
  return createHttpFunction({
    name: 'sign-request',
    maxBodyBytes: MAX_SIGN_REQUEST_BYTES,
    ...(options.logger ? { logger: options.logger } : {}),
    setup: vendingSetup(environment, options),
    // A browser app must be able to read the token (and its expiry) that goes with the signature,
    // and the server time a date refusal carries.
    cors: (service) => ({ allowedOrigins: service.config.corsAllowedOrigins, methods: ['POST', 'GET'], exposeHeaders: [SECURITY_TOKEN_HEADER, EXPIRATION_HEADER, 'Date'], allowHeaders: [SESSION_TICKET_HEADER] }),
    route: answerSignRequest,
  });
}

/** sign-request as an FC 3.0 event handler (what `index.handler` exports); tests use it directly. */
export function createSignRequestHandler(environment: Environment, options: VendingFunctionOptions = {}): FcHttpHandler {
  return fcEventHandler(createSignRequestFunction(environment, options));
}
