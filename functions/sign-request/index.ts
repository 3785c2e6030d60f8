/** The FC 3.0 entry point of sign-request (`index.handler`), configured from the environment at cold start. */
import { createSignRequestHandler } from './create-handler';

export const handler = createSignRequestHandler(process.env);
