/**
 * sign-request: signs OSS V1 string-to-sign contents for the OSS SDKs' self-signing mode, only
 * when the caller's session policy allows the request they describe. FC 3.0 event handler for an
 * HTTP trigger; all decisions live in shared/.
 */
import { type Environment, loadConfig } from '../../shared/config/load-config';
import { type FcHttpHandler, createFunctionHandler } from '../../shared/http/function-handler';
import type { Logger } from '../../shared/log';
import { answerPostObject } from '../../shared/signing/post-object';
import { signForCaller } from '../../shared/signing/sign-for-caller';
import { MAX_SIGN_REQUEST_BYTES, readSignRequest } from '../../shared/signing/sign-request';
import { EXPIRATION_HEADER, SECURITY_TOKEN_HEADER, signingResponse } from '../../shared/signing/signing-response';
import { type VendingServiceOptions, createVendingService } from '../../shared/vending/caller-credentials';

/** Builds the sign-request handler for an environment; the sandbox and tests use it directly. */
export function createSignRequestHandler(environment: Environment, options: VendingServiceOptions & { logger?: Logger } = {}): FcHttpHandler {
  return createFunctionHandler({
    name: 'sign-request',
    maxBodyBytes: MAX_SIGN_REQUEST_BYTES,
    ...(options.logger ? { logger: options.logger } : {}),
    setup: () => createVendingService(loadConfig(environment), options),
    // A browser app must be able to read the token (and its expiry) that goes with the signature.
    cors: (service) => ({ allowedOrigins: service.config.corsAllowedOrigins, methods: ['POST'], exposeHeaders: [SECURITY_TOKEN_HEADER, EXPIRATION_HEADER] }),
    route: async (service, invocation) => {
      const form = await answerPostObject(service, invocation);
      if (form !== undefined) return form;
      const request = readSignRequest(invocation.request);
      const signed = await signForCaller(service, invocation, request);
      return signingResponse(request.mode, signed);
    },
  });
}
