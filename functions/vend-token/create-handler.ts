/**
 * vend-token: authenticates an app user and returns temporary OSS credentials limited to that
 * user's scope, in the JSON the OSS Android and iOS SDKs consume. One function behind either
 * adapter: the FC 3.0 event handler or the web server; all decisions live in shared/.
 */
import type { Environment } from '../../shared/config/load-config';
import { type FcHttpHandler, fcEventHandler } from '../../shared/http/fc-event';
import { type HttpFunction, createHttpFunction } from '../../shared/http/function-handler';
import { type VendingFunctionOptions, credentialsForCaller, vendingSetup } from '../../shared/vending/caller-credentials';
import { credentialsResponse } from '../../shared/vending/credentials-response';
import { MAX_TOKEN_REQUEST_BYTES, readTokenRequest } from '../../shared/vending/token-request';

/** Builds vend-token for an environment, ready for either adapter; its setup runs now. */
export function createVendTokenFunction(environment: Environment, options: VendingFunctionOptions = {}): HttpFunction {
  return createHttpFunction({
    name: 'vend-token',
    maxBodyBytes: MAX_TOKEN_REQUEST_BYTES,
    ...(options.logger ? { logger: options.logger } : {}),
    setup: vendingSetup(environment, options),
    cors: (service) => ({ allowedOrigins: service.config.corsAllowedOrigins, methods: ['GET', 'POST'] }),
    route: async (service, invocation) => {
      const { scope } = readTokenRequest(invocation.request);
      const result = await credentialsForCaller(service, invocation, scope);
      return credentialsResponse(result, service.config);
    },
  });
}

/** vend-token as an FC 3.0 event handler (what `index.handler` exports); tests use it directly. */
export function createVendTokenHandler(environment: Environment, options: VendingFunctionOptions = {}): FcHttpHandler {
  return fcEventHandler(createVendTokenFunction(environment, options));
}
