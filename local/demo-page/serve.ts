/**
 * The demo page's routes in the sandbox (`/demo/`): the HTML, the page's script bundled by esbuild
 * from page.ts on first use, ali-oss's own browser build from node_modules, and the `config.json`
 * the page starts from. Nothing comes from a CDN. Also the sandbox scope and the bucket CORS rule
 * the page needs.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TvmConfig } from '../../shared/config/load-config';
import type { UploadLimits } from '../../shared/policy/upload-limits';
import type { CorsConfiguration } from '../oss-emulator';
import { type Route, type RouteTable, getOnly, sendText } from '../routes';

/** Where the sandbox serves the page. */
export const DEMO_PATH = '/demo/';

/** The demo users the page offers. */
export const DEMO_USERS = ['alice', 'bob', 'carol'];

/**
 * The sandbox's scope when TVM_SCOPES is not set: each user reads, writes and lists under
 * `users/<user>/`; form uploads take at most 1 MiB, and signed uploads images, plain text, PDF or
 * untyped bytes, never a type a browser renders as a page (text/html): so the page can show a
 * refusal for a file too large or of another type.
 */
export const SANDBOX_SCOPES = {
  user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'list'], upload: { maxBytes: 1_048_576, contentTypes: ['image/*', 'text/plain', 'application/pdf', 'application/octet-stream'] } },
};

/**
 * The sandbox bucket's CORS rule: the page's origin (by its address or as localhost) may call every
 * object operation and read the headers ali-oss needs (ETag for multipart uploads) and the refusals.
 */
export function sandboxCors(pageOrigin: string): CorsConfiguration {
  const origins = [...new Set([pageOrigin, pageOrigin.replace('//127.0.0.1:', '//localhost:')])];
  return {
    rules: [{ allowedOrigins: origins, allowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], allowedHeaders: ['*'], exposeHeaders: ['ETag', 'x-oss-request-id', 'x-oss-ec'], maxAgeSeconds: 600 }],
  };
}

/** What the page needs to know (`config.json`). */
export interface DemoPageOptions {
  readonly vendTokenUrl: string;
  readonly signRequestUrl: string;
  readonly tokenUrl: string;
  readonly users: readonly string[];
  /** The upload limits of the scope the page uses, shown to the user. */
  readonly upload?: UploadLimits;
}

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/**
 * The page's routes for a sandbox running with `config` (the default scope's upload limits are
 * shown; none when the configuration is refused, whose refusals the page then shows).
 *
 * @example
 * ```ts
 * const routes: RouteTable = { ...otherRoutes, ...demoRoutes(config) };
 * ```
 */
export function demoRoutes(config: TvmConfig | undefined): RouteTable {
  const upload = config?.defaultScope === undefined ? undefined : config.scopes[config.defaultScope]?.upload;
  // Paths on the page's own origin, whichever name the browser used for the sandbox.
  const options: DemoPageOptions = { vendTokenUrl: '/vend-token', signRequestUrl: '/sign-request', tokenUrl: '/issuer/token', users: DEMO_USERS, ...(upload === undefined ? {} : { upload }) };
  let script: Promise<string> | undefined;
  const file = (type: string, body: () => Promise<string | Buffer>): Route =>
    getOnly(async (request, response) => {
      let content: string | Buffer;
      try {
        content = await body();
      } catch {
        script = undefined;
        sendText(response, 500, 'The demo page could not be built.');
        return;
      }
      response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(content) });
      response.end(request.method === 'HEAD' ? undefined : content);
    });
  const html = file('text/html; charset=utf-8', () => readFile(here('./index.html')));
  return {
    [DEMO_PATH.slice(0, -1)]: getOnly((_request, response) => {
      response.writeHead(301, { Location: DEMO_PATH }).end();
    }),
    [DEMO_PATH]: html,
    [`${DEMO_PATH}page.js`]: file('text/javascript; charset=utf-8', () => (script ??= bundlePage())),
    [`${DEMO_PATH}aliyun-oss-sdk.min.js`]: file('text/javascript; charset=utf-8', () => readFile(aliOssBrowserBuild())),
    [`${DEMO_PATH}config.json`]: file('application/json', async () => JSON.stringify(options)),
  };
}

async function bundlePage(): Promise<string> {
  const result = await build({ entryPoints: [here('./page.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', logLevel: 'silent' });
  return result.outputFiles[0]?.text ?? '';
}

/** ali-oss's browser build as its package ships it. */
function aliOssBrowserBuild(): string {
  return createRequire(import.meta.url).resolve('ali-oss/dist/aliyun-oss-sdk.min.js');
}
