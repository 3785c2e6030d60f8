/**
 * The web function's entry point (the custom runtime's start command runs `node server.js`):
 * configured from the environment at cold start, listening on 0.0.0.0 at FC_SERVER_PORT, or 9000,
 * the port s.web.yaml gives Function Compute.
 */
import { createWebServer } from '../../shared/http/web-server';
import { createWebRoutes } from './routes';

const port = Number(process.env['FC_SERVER_PORT'] ?? 9000);
createWebServer(createWebRoutes(process.env)).listen(port, '0.0.0.0');
