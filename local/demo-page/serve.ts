/**
 * Serves the demo page under a path of the sandbox (`/demo/`): the HTML, the page's script bundled
 * by esbuild from page.ts on first use, ali-oss's own browser build from node_modules, and the
 * `config.json` the page starts from. Nothing comes from a CDN.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadConfig } from '../../shared/config/load-config';
import type { UploadLimits } from '../../shared/policy/upload-limits';
import type { CorsConfiguration } from '../oss-emulator';

/** Where the sandbox serves the page. */
export const DEMO_PATH = '/demo/';

/** The demo users the page offers. */
export const DEMO_USERS = ['alice', 'bob', 'carol'];

/**
 * The sandbox's scope when TVM_SCOPES is not set: each user reads, writes and lists under
 * `users/<user>/`, and form uploads take at most 1 MiB of images, text or PDF, so the page can
 * show a refusal for a file too large or of another type.
 */
export const SANDBOX_SCOPES = {
  user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'list'], upload: { maxBytes: 1_048_576, contentTypes: ['image/*', 'text/plain', 'application/pdf'] } },
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

/** The page for a sandbox running with `settings`; it shows the default scope's upload limits. */
export function sandboxDemoPage(settings: Readonly<Record<string, string>>): DemoPage {
  let upload: UploadLimits | undefined;
  try {
    const config = loadConfig(settings);
    upload = config.defaultScope === undefined ? undefined : config.scopes[config.defaultScope]?.upload;
  } catch {
    // The functions report a bad configuration on every request; the page shows their refusals.
  }
  // Paths on the page's own origin, whichever name the browser used for the sandbox.
  return demoPage({ vendTokenUrl: '/vend-token', signRequestUrl: '/sign-request', tokenUrl: '/issuer/token', users: DEMO_USERS, ...(upload === undefined ? {} : { upload }) });
}

/** What the page needs to know. */
export interface DemoPageOptions {
  readonly vendTokenUrl: string;
  readonly signRequestUrl: string;
  readonly tokenUrl: string;
  readonly users: readonly string[];
  /** The upload limits of the scope the page uses, shown to the user. */
  readonly upload?: UploadLimits;
}

/** Answers one request under the page's path; `path` is what follows it (`''`, `page.js`…). */
export type DemoPage = (path: string, request: IncomingMessage, response: ServerResponse) => Promise<void>;

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/**
 * The demo page's request handler.
 *
 * @example
 * ```ts
 * const page = demoPage({ vendTokenUrl, signRequestUrl, tokenUrl, users: ['alice', 'bob'] });
 * // in the server: if (path.startsWith('/demo/')) await page(path.slice('/demo/'.length), request, response);
 * ```
 */
export function demoPage(options: DemoPageOptions): DemoPage {
  let script: Promise<string> | undefined;
  const files: Record<string, { type: string; body: () => Promise<string | Buffer> }> = {
    '': { type: 'text/html; charset=utf-8', body: () => readFile(here('./index.html')) },
    'index.html': { type: 'text/html; charset=utf-8', body: () => readFile(here('./index.html')) },
    'page.js': { type: 'text/javascript; charset=utf-8', body: () => (script ??= bundlePage()) },
    'aliyun-oss-sdk.min.js': { type: 'text/javascript; charset=utf-8', body: () => readFile(aliOssBrowserBuild()) },
    'config.json': { type: 'application/json', body: async () => JSON.stringify(options) },
  };
  return async (path, request, response) => {
    const file = Object.hasOwn(files, path) ? files[path] : undefined;
    if (file === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found.\n');
      return;
    }
    try {
      const body = await file.body();
      response.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch {
      script = undefined;
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end('The demo page could not be built.\n');
    }
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
