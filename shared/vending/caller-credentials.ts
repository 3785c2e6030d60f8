/**
 * The path both functions take from a request to STS credentials: authenticate the caller, pick
 * the scope, build the session policy, and get credentials through the cached, single-flight
 * provider. Built once per instance by {@link createVendingService}.
 */
import { randomBytes } from 'node:crypto';
import { type Authenticator, createAuthenticator } from '../auth/authenticate';
import { type Environment, type TvmConfig, loadConfig } from '../config/load-config';
import { SESSION_KEY_BYTES } from '../signing/session-ticket';
import { TvmError } from '../errors';
import type { Invocation } from '../http/function-handler';
import { type Logger, createLogger } from '../log';
import { type SelectedScope, selectScope } from '../policy/scopes';
import { type BuiltPolicy, buildSessionPolicy } from '../policy/session-policy';
import { CallBudget } from '../sts/call-budget';
import { type CredentialNeed, type ProvidedCredentials, CredentialProvider } from '../sts/credential-provider';
import { setMostRecent } from '../sts/recent-map';
import { roleSessionName } from '../sts/role-session-name';
import { loadRedisStore } from '../sts/shared-cache/load-redis-store';
import { SharedCredentialCache } from '../sts/shared-cache/shared-credential-cache';
import type { SharedStore } from '../sts/shared-cache/shared-store';
import { type AccessCredentials, type AssumeRoleClient, StsClient } from '../sts/sts-client';

/** What one instance keeps between invocations. */
export interface VendingService {
  readonly config: TvmConfig;
  readonly authenticate: Authenticator;
  readonly credentials: CredentialProvider;
  /** The instance's clock, in ms. */
  readonly now: () => number;
  /** The key that seals session tickets: `TVM_SIGNING_SESSION_KEY`, or one made at cold start for this instance alone. */
  readonly sessionKey: Uint8Array;
  /** Session policies built for recent callers, by scope and identity (see {@link authorizeCaller}). */
  readonly policies: PolicyMemo;
}

/** Built session policies by scope name and identity, most recent last, bounded like the credential cache. */
export interface PolicyMemo {
  readonly entries: Map<string, BuiltPolicy>;
  readonly maxEntries: number;
}

/** Options of {@link createVendingService}, for tests and the sandbox. */
export interface VendingServiceOptions {
  readonly sts?: AssumeRoleClient;
  /** Most credentials cached (and identities and scopes whose STS budget is remembered). Default 10,000. */
  readonly maxCachedCredentials?: number;
  /** The instance's clock, read once per request, in ms. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The store behind the shared credential cache, when the configuration asks for one
   * (`TVM_SHARED_CACHE_URL`). Default: the Redis store at that URL, loaded now.
   */
  readonly sharedStore?: SharedStore;
  /** Where the shared cache reports trouble. Default: standard output. */
  readonly logger?: Logger;
}

/** What a function is built with: the service's options, and optionally the service itself, shared with another function. */
export interface VendingFunctionOptions extends VendingServiceOptions {
  /**
   * Builds the service the function uses instead of a service of its own: the web profile gives both
   * functions one (see {@link sharedVendingSetup}).
   */
  readonly service?: () => VendingService;
}

/**
 * The setup of one function: the service it was given, or one of its own for `environment`.
 *
 * @example
 * ```ts
 * createHttpFunction({ name: 'vend-token', setup: vendingSetup(process.env, options), … });
 * ```
 */
export function vendingSetup(environment: Environment, options: VendingFunctionOptions): () => VendingService {
  return options.service ?? (() => createVendingService(loadConfig(environment), options));
}

/**
 * One vending service for several functions in one process (the web profile's server): built on the
 * first call; every later call gets the same service, or the same configuration error. So both
 * functions share one credential cache, STS budget, remembered tokens and policies, and one
 * shared-cache connection, and the configuration is read once.
 */
export function sharedVendingSetup(environment: Environment, options: VendingServiceOptions): () => VendingService {
  let built: { readonly service: VendingService } | { readonly error: unknown } | undefined;
  return () => {
    if (built === undefined) {
      try {
        built = { service: createVendingService(loadConfig(environment), options) };
      } catch (error) {
        built = { error };
      }
    }
    if ('error' in built) throw built.error;
    return built.service;
  };
}

/** Credentials one instance caches at most, and identities and scopes whose STS budget it remembers. */
const DEFAULT_MAX_CACHED_CREDENTIALS = 10_000;

/** How long the Redis store waits to connect, and for each command, in ms (README, "Shared credential cache"). */
const SHARED_CACHE_TIMEOUTS = { connectTimeoutMs: 1000, commandTimeoutMs: 150 };

/**
 * Builds the instance-wide service from a validated configuration. With `config.sharedCache`, the
 * Redis client is loaded and connects now, while the instance starts; without, it is never read.
 */
export function createVendingService(config: TvmConfig, options: VendingServiceOptions = {}): VendingService {
  const maxEntries = options.maxCachedCredentials ?? DEFAULT_MAX_CACHED_CREDENTIALS;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger();
  const shared = config.sharedCache === undefined ? undefined : new SharedCredentialCache({
    store: options.sharedStore ?? loadRedisStore(config.sharedCache.url, SHARED_CACHE_TIMEOUTS),
    key: config.sharedCache.key,
    operationTimeoutMs: SHARED_CACHE_TIMEOUTS.commandTimeoutMs,
    log: (level, message, fields) => logger.event(level, message, fields),
    now,
  });
  return {
    config,
    now,
    sessionKey: config.signing.sessionKey ?? randomBytes(SESSION_KEY_BYTES),
    policies: { entries: new Map(), maxEntries },
    authenticate: createAuthenticator(config.jwt),
    credentials: new CredentialProvider({
      sts: options.sts ?? new StsClient({ endpoint: config.stsEndpoint }),
      maxEntries,
      budget: new CallBudget({ callsPerHour: config.stsCallsPerHour, maxKeys: maxEntries }),
      ...(shared === undefined ? {} : { shared }),
    }),
  };
}

/** An authenticated caller, the scope it asked for and the session policy that scope gives it. */
export interface AuthorizedCaller {
  readonly identity: string;
  readonly scope: SelectedScope;
  readonly policy: BuiltPolicy;
}

/** Credentials for one authenticated caller, with what was decided on the way. */
export interface CallerCredentials extends AuthorizedCaller {
  readonly provided: ProvidedCredentials;
}

/**
 * Authenticates the invocation's caller, picks the scope and builds its session policy.
 *
 * @throws {@link TvmError} for an unauthenticated caller, an unknown scope or an unsafe identity.
 */
export async function authorizeCaller(service: VendingService, invocation: Invocation, requestedScope: string | undefined): Promise<AuthorizedCaller> {
  const { config } = service;
  const { identity } = await service.authenticate(invocation.request.headers['authorization']);
  invocation.log.identity = identity;
  const scope = selectScope(config.scopes, requestedScope, config.defaultScope);
  invocation.log.scope = scope.name;
  return { identity, scope, policy: sessionPolicyFor(service, scope, identity) };
}

/**
 * The caller's session policy, built once per scope and identity while it is among the recent
 * ones: the same inputs always give the same policy, and building it (the prefix template, the
 * identity's checks, the JSON) was about a tenth of a warm request. An identity the policy
 * refuses is never remembered, so it is refused every time.
 */
function sessionPolicyFor(service: VendingService, scope: SelectedScope, identity: string): BuiltPolicy {
  const { entries, maxEntries } = service.policies;
  const key = `${scope.name}\n${identity}`;
  const remembered = entries.get(key);
  if (remembered !== undefined) return remembered;
  const { config } = service;
  const policy = buildSessionPolicy({ bucket: config.bucket, scope: scope.definition, identity, identityClaim: config.jwt.identityClaim });
  setMostRecent(entries, key, policy, maxEntries);
  return policy;
}

/**
 * STS credentials limited to the caller's session policy, through the instance's cached,
 * single-flight, budgeted provider, judged at `need.now` (the request's one clock reading); a
 * cached entry is served only if it outlives `need.validUntil`.
 *
 * @throws {@link TvmError} for a function without a role, an STS failure that no cached entry can
 *   cover, or 429 `TooManyRequests` when the caller's STS budget is spent.
 */
export async function scopedCredentials(service: VendingService, invocation: Invocation, caller: AuthorizedCaller, need: CredentialNeed): Promise<ProvidedCredentials> {
  const { config } = service;
  const provided = await service.credentials.get(requireFunctionCredentials(invocation.functionCredentials), {
    roleArn: config.roleArn,
    identity: caller.identity,
    scope: caller.scope.name,
    policy: caller.policy.json,
    roleSessionName: roleSessionName(caller.identity),
    durationSeconds: config.durationSeconds,
  }, need);
  invocation.log.cache = provided.cache;
  if (provided.stsRequestId) invocation.log.stsRequestId = provided.stsRequestId;
  return provided;
}

/** {@link authorizeCaller}, then {@link scopedCredentials}: what vend-token hands out. */
export async function credentialsForCaller(service: VendingService, invocation: Invocation, requestedScope: string | undefined): Promise<CallerCredentials> {
  const caller = await authorizeCaller(service, invocation, requestedScope);
  return { ...caller, provided: await scopedCredentials(service, invocation, caller, { now: service.now() }) };
}

/**
 * The function role's own credentials from the FC context.
 *
 * @throws {@link TvmError} 500 `MissingFunctionCredentials` when the function has no role.
 */
export function requireFunctionCredentials(credentials: AccessCredentials | undefined): AccessCredentials {
  if (credentials === undefined) {
    throw new TvmError(500, 'MissingFunctionCredentials', 'The function has no role credentials. Attach a RAM role to the function (role in s.yaml).');
  }
  return credentials;
}
