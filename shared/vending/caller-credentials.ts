/**
 * The path both functions take from a request to STS credentials: authenticate the caller, pick
 * the scope, build the session policy, and get credentials through the cached, single-flight
 * provider. Built once per instance by {@link createVendingService}.
 */
import { type Authenticator, createAuthenticator } from '../auth/authenticate';
import type { TvmConfig } from '../config/load-config';
import { TvmError } from '../errors';
import type { Invocation } from '../http/function-handler';
import { type SelectedScope, selectScope } from '../policy/scopes';
import { type BuiltPolicy, buildSessionPolicy } from '../policy/session-policy';
import { type ProvidedCredentials, CredentialProvider } from '../sts/credential-provider';
import { roleSessionName } from '../sts/role-session-name';
import { type AccessCredentials, type AssumeRoleClient, StsClient } from '../sts/sts-client';

/** What one instance keeps between invocations. */
export interface VendingService {
  readonly config: TvmConfig;
  readonly authenticate: Authenticator;
  readonly credentials: CredentialProvider;
}

/** Options of {@link createVendingService}, for tests and the sandbox. */
export interface VendingServiceOptions {
  readonly sts?: AssumeRoleClient;
  readonly maxCachedCredentials?: number;
  /** The clock the credential cache judges validity by, in ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Credentials for one authenticated caller, with what was decided on the way. */
export interface CallerCredentials {
  readonly identity: string;
  readonly scope: SelectedScope;
  readonly policy: BuiltPolicy;
  readonly provided: ProvidedCredentials;
}

/** Builds the instance-wide service from a validated configuration. */
export function createVendingService(config: TvmConfig, options: VendingServiceOptions = {}): VendingService {
  return {
    config,
    authenticate: createAuthenticator(config.jwt),
    credentials: new CredentialProvider({
      sts: options.sts ?? new StsClient({ endpoint: config.stsEndpoint }),
      ...(options.maxCachedCredentials === undefined ? {} : { maxEntries: options.maxCachedCredentials }),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
  };
}

/**
 * Authenticates the invocation's caller and returns credentials limited to the requested scope.
 *
 * @throws {@link TvmError} for an unauthenticated caller, an unknown scope, an unsafe identity,
 *   a function without a role, or an STS failure that no cached entry can cover.
 */
export async function credentialsForCaller(service: VendingService, invocation: Invocation, requestedScope: string | undefined): Promise<CallerCredentials> {
  const { config } = service;
  const { identity } = await service.authenticate(invocation.request.headers['authorization']);
  invocation.log.identity = identity;
  const scope = selectScope(config.scopes, requestedScope, config.defaultScope);
  invocation.log.scope = scope.name;
  const policy = buildSessionPolicy({ bucket: config.bucket, scope: scope.definition, identity, identityClaim: config.jwt.identityClaim });
  const provided = await service.credentials.get(requireFunctionCredentials(invocation.functionCredentials), {
    roleArn: config.roleArn,
    identity,
    scope: scope.name,
    policy: policy.json,
    roleSessionName: roleSessionName(identity),
    durationSeconds: config.durationSeconds,
  });
  invocation.log.cache = provided.cache;
  if (provided.stsRequestId) invocation.log.stsRequestId = provided.stsRequestId;
  return { identity, scope, policy, provided };
}

function requireFunctionCredentials(credentials: AccessCredentials | undefined): AccessCredentials {
  if (credentials === undefined) {
    throw new TvmError(500, 'MissingFunctionCredentials', 'The function has no role credentials. Attach a RAM role to the function (role in s.yaml).');
  }
  return credentials;
}
