/** The FC 3.0 entry point of vend-token (`index.handler`), configured from the environment at cold start. */
import { createVendTokenHandler } from './create-handler';

export const handler = createVendTokenHandler(process.env);
