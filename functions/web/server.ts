/**
 * The web function's entry point (the custom runtime's start command runs `node server.js`):
 * configured from the environment at cold start, listening on 0.0.0.0 at FC_SERVER_PORT, or 9000,
 * the port s.web.yaml gives Function Compute. Log lines are written in batches; what is pending is
 * written before the process ends on SIGTERM (FC stopping the instance) or SIGINT.
 */
import { createWebServer } from '../../shared/http/web-server';
import { batchedSink, createLogger } from '../../shared/log';
import { createWebRoutes } from './routes';

const sink = batchedSink();
const port = Number(process.env['FC_SERVER_PORT'] ?? 9000);
createWebServer(createWebRoutes(process.env, { logger: createLogger(sink) })).listen(port, '0.0.0.0');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    sink.flush();
    process.exit(0);
  });
}
