/**
 * The offline sandbox: one local HTTP server that serves the functions through the FC 3.0 event
 * adapter, next to an STS emulator, an OSS emulator whose bucket accepts only V4 signatures (unless
 * `legacyV1`), and a demo identity provider. With real credentials in the
 * environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, optionally
 * ALIBABA_CLOUD_SECURITY_TOKEN) and TVM_STS_ENDPOINT unset, it talks to real STS instead.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSignRequestHandler } from '../functions/sign-request/create-handler';
import { createVendTokenHandler } from '../functions/vend-token/create-handler';
import { type Environment, loadConfig } from '../shared/config/load-config';
import { appRolePermissionPolicy } from '../shared/policy/role-policies';
import type { FcContext } from '../shared/http/fc-event';
import type { Logger } from '../shared/log';
import { type DemoIssuer, createDemoIssuer } from './demo-issuer';
import { DEMO_PATH, SANDBOX_SCOPES, sandboxCors, sandboxDemoPage } from './demo-page/serve';
import { type EventHandler, invokeOverHttp } from './fc-http-bridge';
import { OssEmulator, credentialsFromSts } from './oss-emulator';
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
   * A legacy sandbox bucket that accepts V1 and V4 signatures, like a bucket created before
   * 2025-09-01. Default: the environment's `SANDBOX_LEGACY_V1` (`1` or `true`), else false: the bucket
   * accepts only V4, like a bucket created today (`npm start -- --legacy-v1` sets it).
   */
  readonly legacyV1?: boolean;
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
  /** The demo page: upload from a browser with ali-oss or a PostObject form (`${url}/demo/`). */
  readonly demoUrl: string;
  close(): Promise<void>;
}

const SANDBOX_BUCKET = 'oss-tvm-sandbox';
const SANDBOX_AUDIENCE = 'oss-tvm-sandbox';

/** Starts the sandbox and resolves once it listens. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const environment = options.environment ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const realSts = Boolean(environment['ALIBABA_CLOUD_ACCESS_KEY_ID'] && environment['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] && !environment['TVM_STS_ENDPOINT']);
  const sts = realSts ? undefined : await StsEmulator.start({ host });
  const server = createServer();
  await listen(server, host, options.port ?? 9000);
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  const issuer = await createDemoIssuer(`${url}/issuer`, SANDBOX_AUDIENCE);
  const settings = sandboxSettings(environment, url, sts);
  const legacyV1 = options.legacyV1 ?? ['1', 'true'].includes(environment['SANDBOX_LEGACY_V1'] ?? '');
  const oss = sts ? await startOss(sts, host, settings, legacyV1, url) : undefined;
  if (oss) settings['TVM_OSS_ENDPOINT'] = oss.url;
  const functionCredentials = sts ? sts.createFunctionCredentials() : realCredentials(environment);
  const region = settings['TVM_REGION'] ?? 'cn-hangzhou';
  const context = (requestId: string): FcContext => ({ requestId, credentials: functionCredentials, region });
  const functionOptions = options.logger ? { logger: options.logger } : {};
  const handlers: Record<string, EventHandler> = {
    'vend-token': createVendTokenHandler(settings, functionOptions),
    'sign-request': createSignRequestHandler(settings, functionOptions),
  };
  const demoPage = sandboxDemoPage(settings);
  server.on('request', (request, response) => {
    const path = new URL(request.url ?? '/', url).pathname;
    const [, route = '', ...rest] = path.split('/');
    const handler = handlers[route];
    if (path.startsWith(DEMO_PATH)) {
      demoPage(path.slice(DEMO_PATH.length), request, response).catch(() => response.destroy());
    } else if (handler) {
      invokeOverHttp(handler, request, response, `/${rest.join('/')}`, context).catch(() => response.destroy());
    } else if (path === '/issuer/.well-known/jwks.json') {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(issuer.jwks));
    } else if (path === '/issuer/token') {
      const subject = new URL(request.url ?? '/', url).searchParams.get('sub') ?? 'alice';
      issuer.issue(subject).then((token) => response.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${token}\n`), () => response.destroy());
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Not found. Routes: ${Object.keys(handlers).map((name) => `/${name}`).join(', ')}, /issuer/token?sub=<user>, ${DEMO_PATH}\n`);
    }
  });
  return {
    url,
    functionUrls: Object.fromEntries(Object.keys(handlers).map((name) => [name, `${url}/${name}`])),
    issuer,
    ...(sts ? { sts } : {}),
    ...(oss ? { oss } : {}),
    legacyV1,
    settings,
    demoUrl: `${url}${DEMO_PATH}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await oss?.close();
      await sts?.close();
    },
  };
}

function sandboxSettings(environment: Environment, url: string, sts: StsEmulator | undefined): Record<string, string> {
  const settings: Record<string, string> = {
    TVM_BUCKET: SANDBOX_BUCKET,
    TVM_REGION: 'cn-hangzhou',
    TVM_JWT_ISSUER: `${url}/issuer`,
    TVM_JWT_AUDIENCE: SANDBOX_AUDIENCE,
    TVM_JWKS_URL: `${url}/issuer/.well-known/jwks.json`,
    TVM_SCOPES: JSON.stringify(SANDBOX_SCOPES),
    ...(sts ? { TVM_ROLE_ARN: sts.defaultRoleArn, TVM_STS_ENDPOINT: sts.url } : {}),
  };
  for (const [name, value] of Object.entries(environment)) {
    if (name.startsWith('TVM_') && value) settings[name] = value;
  }
  return settings;
}

/**
 * The sandbox OSS: its bucket (V4-only unless `legacyV1`, CORS open to the demo page), the STS emulator's credentials, and for the sandbox's app role the
 * permission policy `npm run ram-policies` prints for these scopes (so OSS enforces what RAM would).
 * Without a usable configuration it still starts, allowing nothing.
 */
async function startOss(sts: StsEmulator, host: string, settings: Record<string, string>, legacyV1: boolean, pageOrigin: string): Promise<OssEmulator> {
  let rolePolicy: object = { Version: '1', Statement: [] };
  try {
    const config = loadConfig(settings);
    rolePolicy = appRolePermissionPolicy(config.scopes, config.bucket, config.jwt.identityClaim);
  } catch {
    // The functions report the configuration problem themselves, on every request.
  }
  const bucket = settings['TVM_BUCKET'] ?? SANDBOX_BUCKET;
  return OssEmulator.start({
    host,
    buckets: [bucket],
    v4OnlyBuckets: legacyV1 ? [] : [bucket],
    region: settings['TVM_REGION'] ?? 'cn-hangzhou',
    credentials: credentialsFromSts(sts),
    rolePolicies: { [settings['TVM_ROLE_ARN'] ?? sts.defaultRoleArn]: rolePolicy },
    cors: { [bucket]: sandboxCors(pageOrigin) },
  });
}

function realCredentials(environment: Environment): FcContext['credentials'] {
  return {
    accessKeyId: environment['ALIBABA_CLOUD_ACCESS_KEY_ID'] ?? '',
    accessKeySecret: environment['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] ?? '',
    ...(environment['ALIBABA_CLOUD_SECURITY_TOKEN'] ? { securityToken: environment['ALIBABA_CLOUD_SECURITY_TOKEN'] } : {}),
  };
}
