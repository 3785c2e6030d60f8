/**
 * The offline sandbox: one local HTTP server that serves the functions as the web profile deploys
 * them (the web function's own server, behind a forwarder that adds FC's headers; or, with
 * `adapter: 'event'`, through the FC 3.0 event adapter), next to an STS emulator, an OSS emulator
 * whose bucket accepts only V4 signatures (unless `legacyV1`), and a demo identity provider. With
 * real credentials in the
 * environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, optionally
 * ALIBABA_CLOUD_SECURITY_TOKEN) and TVM_STS_ENDPOINT unset, it talks to real STS instead.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebRoutes } from '../functions/web/routes';
import { type Environment, type TvmConfig, loadConfig } from '../shared/config/load-config';
import { TvmError } from '../shared/errors';
import { appRolePermissionPolicy } from '../shared/policy/role-policies';
import { type FcContext, fcEventHandler } from '../shared/http/fc-event';
import type { HttpFunction } from '../shared/http/function-handler';
import type { Logger } from '../shared/log';
import type { DemoIssuer } from './demo-issuer';
import { DEMO_PATH, SANDBOX_SCOPES, demoRoutes, sandboxCors } from './demo-page/serve';
import { invokeOverHttp } from './fc-http-bridge';
import { startFcWebGateway } from './fc-web-gateway';
import { issuerRoutes } from './issuer-routes';
import { OssEmulator, credentialsFromSts } from './oss-emulator';
import { type RouteTable, getOnly, sendJson, sendText } from './routes';
import { sandboxIdentity } from './sandbox-identity';
import { StsClient } from '../shared/sts/sts-client';
import { StsEmulator } from './sts-emulator';
import { listen } from './listen';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  readonly host?: string;
  /** Port of the sandbox server; 0 picks a free one. Default 9000. */
  readonly port?: number;
  /** The environment to read TVM_* overrides and real credentials from. Default `process.env`. */
  readonly environment?: Environment;
  readonly logger?: Logger;
  /**
   * How the functions are served: `web` (default), the web profile's server behind a forwarder
   * that adds FC's headers, as a custom runtime runs it; `event`, FC 3.0 HTTP trigger events into
   * the event handlers, as the nodejs20 runtime runs them.
   */
  readonly adapter?: 'web' | 'event';
  /**
   * A legacy sandbox bucket that accepts V1 and V4 signatures, like a bucket created before
   * 2025-09-01. Default: the environment's `SANDBOX_LEGACY_V1` (`1` or `true`), else false: the bucket
   * accepts only V4, like a bucket created today (`npm start -- --legacy-v1` sets it).
   */
  readonly legacyV1?: boolean;
  /**
   * The clock of the functions, the STS emulator and the STS client between them, in ms. Default
   * `Date.now`. A test moves it to run hours of traffic in moments (tokens are still judged by
   * real time).
   */
  readonly now?: () => number;
}

/** A running sandbox. */
export interface Sandbox {
  readonly url: string;
  /** Functions by route: `${url}/vend-token`, `${url}/sign-request`. */
  readonly functionUrls: Readonly<Record<string, string>>;
  readonly issuer: DemoIssuer;
  /** The STS emulator, absent when the sandbox talks to real STS. */
  readonly sts?: StsEmulator;
  /** The OSS emulator, beside the STS emulator, authorizing with the app role policy of the scopes. */
  readonly oss?: OssEmulator;
  /** Whether the sandbox bucket accepts V1 signatures (a legacy bucket); otherwise only V4. */
  readonly legacyV1: boolean;
  /** The TVM_* settings the functions run with. */
  readonly settings: Readonly<Record<string, string>>;
  /** How the functions verify the demo issuer's tokens, in words (`TVM_JWKS_URL=…`, `TVM_JWT_SECRET …`). */
  readonly verifiedWith: string;
  /**
   * Why the functions cannot serve with these settings, one sentence each; empty when they can. A
   * misconfigured sandbox still listens (`/health` answers 503 with the problems, the functions 500
   * `InvalidConfiguration`); `npm start` refuses to run it.
   */
  readonly configurationProblems: readonly string[];
  /** The credentials the functions receive as `context.credentials`: the STS emulator's function role, or the real ones. */
  readonly functionCredentials: NonNullable<FcContext['credentials']>;
  /** The demo page: upload from a browser with ali-oss or a PostObject form (`${url}/demo/`). */
  readonly demoUrl: string;
  close(): Promise<void>;
}

const SANDBOX_BUCKET = 'oss-tvm-sandbox';

/** Serves one request to a function; `path` is the part below the function's own path. */
type FunctionRoute = (request: IncomingMessage, response: ServerResponse, path: string) => void;

/** Starts the sandbox and resolves once it listens. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const environment = options.environment ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const realSts = Boolean(environment['ALIBABA_CLOUD_ACCESS_KEY_ID'] && environment['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] && !environment['TVM_STS_ENDPOINT']);
  const sts = realSts ? undefined : await StsEmulator.start({ host, ...(options.now ? { now: options.now } : {}) });
  const server = createServer();
  try {
    await listen(server, host, options.port ?? 9000);
  } catch (error) {
    await sts?.close();
    throw error;
  }
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  const identity = await sandboxIdentity(environment, url);
  const { issuer } = identity;
  const settings = sandboxSettings(environment, identity.settings, sts);
  const configured = checkConfiguration(settings);
  const configurationProblems = [...identity.problems, ...configured.problems];
  const legacyV1 = options.legacyV1 ?? ['1', 'true'].includes(environment['SANDBOX_LEGACY_V1'] ?? '');
  const oss = sts ? await startOss(sts, host, settings, configured.config, legacyV1, url) : undefined;
  if (oss) settings['TVM_OSS_ENDPOINT'] = oss.url;
  const functionCredentials = sts ? sts.createFunctionCredentials() : realCredentials(environment);
  const region = settings['TVM_REGION'] ?? 'cn-hangzhou';
  const context = (requestId: string): FcContext => ({ requestId, credentials: functionCredentials, region });
  const functionOptions = {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now, ...(sts ? { sts: new StsClient({ endpoint: sts.url, now: options.now }) } : {}) } : {}),
  };
  const functions = createWebRoutes(settings, functionOptions);
  const gateway = options.adapter === 'event' ? undefined : await startFcWebGateway(functions, host, functionCredentials);
  const serveFunction = (name: string): FunctionRoute => {
    if (gateway) return (request, response) => gateway.forward(request, response);
    const handler = fcEventHandler(functions[name] as HttpFunction);
    return (request, response, path) => void invokeOverHttp(handler, request, response, path, context).catch(() => response.destroy());
  };
  const handlers: Record<string, FunctionRoute> = Object.fromEntries(Object.keys(functions).map((name) => [name, serveFunction(name)]));
  const functionUrls = Object.fromEntries(Object.keys(handlers).map((name) => [name, `${url}/${name}`]));
  const status = (): Record<string, unknown> => ({
    status: configurationProblems.length === 0 ? 'ok' : 'misconfigured',
    ...(configurationProblems.length === 0 ? {} : { problems: configurationProblems }),
    functions: functionUrls,
    sts: sts?.url ?? 'real STS',
    ...(oss ? { oss: oss.url, bucket: settings['TVM_BUCKET'], bucketSignatures: legacyV1 ? 'V1 and V4' : 'V4 only' } : {}),
    issuer: `${url}/issuer`,
  });
  // The sandbox's own pages, by exact path; the functions answer under their first path segment.
  const routes: RouteTable = {
    '/': getOnly((_request, response) => sendText(response, 200, routeIndex(url, Object.keys(handlers), routes))),
    '/health': getOnly((_request, response) => sendJson(response, configurationProblems.length === 0 ? 200 : 503, status())),
    ...issuerRoutes(issuer, url, '/issuer', identity.verifiedWith),
    ...demoRoutes(configured.config),
  };
  server.on('request', (request, response) => {
    const requestUrl = new URL(request.url ?? '/', url);
    const [, first = '', ...rest] = requestUrl.pathname.split('/');
    const handler = Object.hasOwn(handlers, first) ? handlers[first] : undefined;
    if (handler) {
      handler(request, response, `/${rest.join('/')}`);
      return;
    }
    const route = routes[requestUrl.pathname];
    if (route === undefined) {
      sendText(response, 404, `Not found.\n\n${routeIndex(url, Object.keys(handlers), routes)}`);
      return;
    }
    Promise.resolve(route(request, response, requestUrl)).catch(() => {
      if (response.headersSent) response.destroy();
      else sendText(response, 500, 'The sandbox could not answer this request.');
    });
  });
  return {
    url,
    functionUrls,
    issuer,
    ...(sts ? { sts } : {}),
    ...(oss ? { oss } : {}),
    legacyV1,
    settings,
    verifiedWith: identity.verifiedWith,
    configurationProblems,
    functionCredentials,
    demoUrl: `${url}${DEMO_PATH}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway?.close();
      await oss?.close();
      await sts?.close();
    },
  };
}

/** The sandbox's TVM_* defaults (its bucket, its emulators, its identity provider), then the environment's own. */
function sandboxSettings(environment: Environment, identitySettings: Readonly<Record<string, string>>, sts: StsEmulator | undefined): Record<string, string> {
  const settings: Record<string, string> = {
    TVM_BUCKET: SANDBOX_BUCKET,
    TVM_REGION: 'cn-hangzhou',
    TVM_SCOPES: JSON.stringify(SANDBOX_SCOPES),
    ...identitySettings,
    ...(sts ? { TVM_ROLE_ARN: sts.defaultRoleArn, TVM_STS_ENDPOINT: sts.url } : {}),
  };
  for (const [name, value] of Object.entries(environment)) {
    if (name.startsWith('TVM_') && value) settings[name] = value;
  }
  return settings;
}

/** The functions' configuration from these settings, or why they refuse it (each problem a sentence). */
function checkConfiguration(settings: Readonly<Record<string, string>>): { config?: TvmConfig; problems: string[] } {
  try {
    return { config: loadConfig(settings), problems: [] };
  } catch (error) {
    if (!(error instanceof TvmError)) throw error;
    const problems = error.message.replace(/^The function is misconfigured: /, '').replace(/\.$/, '');
    return { problems: problems.split(/; (?=TVM_|exactly one of )/) };
  }
}

/** The sandbox's routes, one per line, for its index and its 404 page. */
function routeIndex(url: string, functions: readonly string[], routes: RouteTable): string {
  return ['oss-tvm sandbox. Routes:', ...functions.map((name) => `  ${url}/${name}   the ${name} function`), ...Object.keys(routes).map((path) => `  ${url}${path}`)].join('\n');
}

/**
 * The sandbox OSS: its bucket (V4-only unless `legacyV1`, CORS open to the demo page), the STS emulator's credentials, and for the sandbox's app role
 * (and in function mode the function role) the permission policy `npm run ram-policies` prints for these scopes (so OSS
 * enforces what RAM would).
 * Without a usable configuration it still starts, allowing nothing.
 */
async function startOss(sts: StsEmulator, host: string, settings: Record<string, string>, config: TvmConfig | undefined, legacyV1: boolean, pageOrigin: string): Promise<OssEmulator> {
  const rolePolicy: object = config ? appRolePermissionPolicy(config.scopes, config.bucket, config.jwt.identityClaim) : { Version: '1', Statement: [] };
  const bucket = settings['TVM_BUCKET'] ?? SANDBOX_BUCKET;
  return OssEmulator.start({
    host,
    buckets: [bucket],
    v4OnlyBuckets: legacyV1 ? [] : [bucket],
    region: settings['TVM_REGION'] ?? 'cn-hangzhou',
    credentials: credentialsFromSts(sts),
    rolePolicies: {
      [settings['TVM_ROLE_ARN'] ?? sts.defaultRoleArn]: rolePolicy,
      // In function mode the function role signs OSS requests itself and holds the app role's OSS policy too (README, RAM setup).
      ...(config?.signing.credentials === 'function' ? { [sts.functionRoleArn]: rolePolicy } : {}),
    },
    cors: { [bucket]: sandboxCors(pageOrigin) },
  });
}

function realCredentials(environment: Environment): NonNullable<FcContext['credentials']> {
  return {
    accessKeyId: environment['ALIBABA_CLOUD_ACCESS_KEY_ID'] ?? '',
    accessKeySecret: environment['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] ?? '',
    ...(environment['ALIBABA_CLOUD_SECURITY_TOKEN'] ? { securityToken: environment['ALIBABA_CLOUD_SECURITY_TOKEN'] } : {}),
  };
}
