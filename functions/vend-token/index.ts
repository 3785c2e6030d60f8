/**
 * vend-token: authenticates an app user and returns temporary OSS credentials limited to that
 * user's scope, in the JSON the OSS Android and iOS SDKs consume. FC 3.0 event handler for an
 * HTTP trigger; all decisions live in shared/.
 */
import { loadConfig } from '../../shared/config/load-config';
import { createFunctionHandler } from '../../shared/http/function-handler';
import { createVendingService, credentialsForCaller } from '../../shared/vending/caller-credentials';
import { credentialsResponse } from '../../shared/vending/credentials-response';
import { MAX_TOKEN_REQUEST_BYTES, readTokenRequest } from '../../shared/vending/token-request';

export const handler = createFunctionHandler({
  name: 'vend-token',
  maxBodyBytes: MAX_TOKEN_REQUEST_BYTES,
  setup: () => createVendingService(loadConfig(process.env)),
  route: async (service, invocation) => {
    const { scope } = readTokenRequest(invocation.request);
    const result = await credentialsForCaller(service, invocation, scope);
    return credentialsResponse(result, service.config.bucket, service.config.region);
  },
});
