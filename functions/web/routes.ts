/**
 * The web profile: both functions in one custom-runtime server, each below its own path. The
 * sandbox (`npm start`) serves exactly these routes through the same adapter.
 */
import { createSignRequestFunction } from '../sign-request/create-handler';
import { createVendTokenFunction } from '../vend-token/create-handler';
import type { Environment } from '../../shared/config/load-config';
import type { WebRoutes } from '../../shared/http/web-server';
import { type VendingServiceOptions, sharedVendingSetup } from '../../shared/vending/caller-credentials';

/** Builds both functions for an environment (their setup runs now): `/vend-token` and `/sign-request`. */
export function createWebRoutes(environment: Environment, options: VendingServiceOptions = {}): WebRoutes {
  // One service for both: one credential cache per instance, whichever function a caller uses.
  const service = sharedVendingSetup(environment, options);
  return {
    'vend-token': createVendTokenFunction(environment, { ...options, service }),
    'sign-request': createSignRequestFunction(environment, { ...options, service }),
  };
}
