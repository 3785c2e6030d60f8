/**
 * Configuration from TVM_* environment variables, validated once at cold start. A bad
 * configuration never runs half-way: {@link loadConfig} throws one error naming every variable
 * that is wrong and why.
 */
import { type KeyObject, createPublicKey } from 'node:crypto';
import { TvmError } from '../errors';
import { type ScopeConfiguration, defaultScopes } from '../policy/scopes';
import { SESSION_KEY_BYTES } from '../signing/session-ticket';
import { scopeConfigurationProblems } from '../policy/session-policy';
import { environmentSchema, scopesSchema } from './schemas';
import { parseStrictJson } from './strict-json';
import { type StandaloneValidator, validateEnvironment, validateScopes } from './validators.generated.js';

/** JWS algorithms the verifier may accept; `none` is not one of them. */
export type JwtAlgorithm =
  | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'HS256' | 'HS384' | 'HS512';

/** Where the keys that verify app tokens come from: exactly one source. */
export type JwtKeySource =
  | { readonly kind: 'jwks'; readonly url: URL }
  | { readonly kind: 'public-key'; readonly key: KeyObject }
  | { readonly kind: 'secret'; readonly key: Uint8Array };

/** How app tokens are verified. */
export interface JwtSettings {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly keySource: JwtKeySource;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly identityClaim: string;
  readonly clockToleranceSeconds: number;
}

/** The validated configuration of both functions. */
export interface TvmConfig {
  readonly roleArn: string;
  readonly bucket: string;
  readonly region: string;
  /** Base URL of STS, such as `https://sts.cn-hangzhou.aliyuncs.com`. */
  readonly stsEndpoint: string;
  /** The OSS endpoint vend-token tells apps to use, such as `https://oss-cn-hangzhou.aliyuncs.com`. */
  readonly ossEndpoint: string;
  readonly jwt: JwtSettings;
  readonly scopes: ScopeConfiguration;
  /** The scope used when a request names none; absent when requests must name one. */
  readonly defaultScope?: string;
  readonly durationSeconds: number;
  /** The most AssumeRole calls one instance makes for one identity and scope per hour. */
  readonly stsCallsPerHour: number;
  readonly signing: SigningSettings;
  /** Web origins allowed to call from a browser; empty when browsers are not served, `*` for any. */
  readonly corsAllowedOrigins: readonly string[];
  /** The fleet's shared credential cache; absent when each instance caches on its own. */
  readonly sharedCache?: SharedCacheSettings;
}

/** Where the shared credential cache is, and the key its entries are sealed with. */
export interface SharedCacheSettings {
  /** `TVM_SHARED_CACHE_URL`: redis:// or rediss://, perhaps with a password; never logged. */
  readonly url: string;
  /** `TVM_SHARED_CACHE_KEY`: 32 bytes for AES-256-GCM; never logged. */
  readonly key: Uint8Array;
}

/** How sign-request signs. */
export interface SigningSettings {
  /** `scoped`: AssumeRole with the caller's session policy; `function`: the function role's own credentials. */
  readonly credentials: 'scoped' | 'function';
  /** How far a Date or x-oss-date line may be from server time. */
  readonly maxSkewSeconds: number;
  /** How far in the future a presigned URL's Expires may be; at most half of the credential duration. */
  readonly maxUrlTtlSeconds: number;
  /** How long a PostObject policy stays valid (never beyond the signing credentials). */
  readonly postPolicyTtlSeconds: number;
  /** x-oss headers accepted besides the default ones. */
  readonly extraHeaders: readonly string[];
  /**
   * The key that seals session tickets (`TVM_SIGNING_SESSION_KEY`), shared by every instance;
   * absent when unset, and then each instance makes its own at cold start.
   */
  readonly sessionKey?: Uint8Array;
}

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

const CLOCK_TOLERANCE_SECONDS = 30;
const KEY_SOURCES = ['TVM_JWKS_URL', 'TVM_JWT_PUBLIC_KEY', 'TVM_JWT_SECRET'] as const;
type SettingName = keyof typeof environmentSchema.properties;
type Settings = Partial<Record<SettingName, string>>;

/**
 * Reads and validates the configuration.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * ```
 * @throws {@link TvmError} 500 `InvalidConfiguration` whose message names each bad variable.
 */
export function loadConfig(environment: Environment): TvmConfig {
  const settings = readSettings(environment);
  const refused = schemaProblems(settings);
  const problems = [...refused.values()];
  const usable = (name: SettingName): boolean => !refused.has(name);
  const keySource = readKeySource(settings, usable, problems);
  const algorithms = keySource && usable('TVM_JWT_ALGORITHMS') ? readAlgorithms(settings, keySource, problems) : [];
  const identityClaim = usable('TVM_IDENTITY_CLAIM') ? settings.TVM_IDENTITY_CLAIM ?? 'sub' : undefined;
  const scopes = identityClaim !== undefined && usable('TVM_SCOPES') ? readScopes(settings, identityClaim, usable('TVM_BUCKET'), problems) : undefined;
  const defaultScope = usable('TVM_DEFAULT_SCOPE') ? readDefaultScope(settings, scopes, problems) : undefined;
  const durationSeconds = usable('TVM_DURATION_SECONDS') ? readWholeNumber(settings, 'TVM_DURATION_SECONDS', 3600, 900, 43200, problems) : undefined;
  const stsCallsPerHour = usable('TVM_STS_CALLS_PER_HOUR') ? readWholeNumber(settings, 'TVM_STS_CALLS_PER_HOUR', 60, 1, 3600, problems) : undefined;
  const signing: SigningSettings = {
    credentials: settings.TVM_SIGNING_CREDENTIALS === 'function' ? 'function' : 'scoped',
    maxSkewSeconds: usable('TVM_SIGN_MAX_SKEW_SECONDS') ? readWholeNumber(settings, 'TVM_SIGN_MAX_SKEW_SECONDS', 300, 30, 900, problems) ?? 0 : 0,
    maxUrlTtlSeconds: usable('TVM_SIGN_MAX_URL_TTL_SECONDS') ? readTtlWithinHalfDuration(settings, 'TVM_SIGN_MAX_URL_TTL_SECONDS', 3600, durationSeconds, problems) ?? 0 : 0,
    postPolicyTtlSeconds: usable('TVM_SIGN_POST_POLICY_TTL_SECONDS') ? readTtlWithinHalfDuration(settings, 'TVM_SIGN_POST_POLICY_TTL_SECONDS', 600, durationSeconds, problems) ?? 0 : 0,
    extraHeaders: settings.TVM_SIGN_EXTRA_HEADERS?.split(',') ?? [],
  };
  const sessionKey = usable('TVM_SIGNING_SESSION_KEY') ? readKey(settings, 'TVM_SIGNING_SESSION_KEY', problems) : undefined;
  const sharedCache = usable('TVM_SHARED_CACHE_URL') && usable('TVM_SHARED_CACHE_KEY') ? readSharedCache(settings, problems) : undefined;
  if (problems.length > 0 || keySource === undefined || identityClaim === undefined || scopes === undefined || durationSeconds === undefined || stsCallsPerHour === undefined) {
    throw new TvmError(500, 'InvalidConfiguration', `The function is misconfigured: ${problems.join('; ')}.`);
  }
  return {
    roleArn: settings.TVM_ROLE_ARN as string,
    bucket: settings.TVM_BUCKET as string,
    region: settings.TVM_REGION as string,
    stsEndpoint: (settings.TVM_STS_ENDPOINT ?? `https://sts.${settings.TVM_REGION}.aliyuncs.com`).replace(/\/$/, ''),
    ossEndpoint: (settings.TVM_OSS_ENDPOINT ?? `https://oss-${settings.TVM_REGION}.aliyuncs.com`).replace(/\/$/, ''),
    jwt: {
      issuer: settings.TVM_JWT_ISSUER as string,
      audience: (settings.TVM_JWT_AUDIENCE as string).split(','),
      keySource,
      algorithms,
      identityClaim,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    },
    scopes,
    ...(defaultScope === undefined ? {} : { defaultScope }),
    durationSeconds,
    stsCallsPerHour,
    signing: sessionKey === undefined ? signing : { ...signing, sessionKey },
    corsAllowedOrigins: settings.TVM_CORS_ALLOWED_ORIGINS?.split(',') ?? [],
    ...(sharedCache === undefined ? {} : { sharedCache }),
  };
}

/** The TVM_* variables the functions read, in the order README documents them. */
export const SETTING_NAMES = Object.keys(environmentSchema.properties) as SettingName[];

function readSettings(environment: Environment): Settings {
  const settings: Settings = {};
  for (const name of SETTING_NAMES) {
    const value = environment[name];
    if (value !== undefined && value.trim() !== '') settings[name] = value.trim();
  }
  return settings;
}

/** The variables the schema refuses, each with its problem. */
function schemaProblems(settings: Settings): Map<string, string> {
  if (validateEnvironment(settings)) return new Map();
  return describeErrors(validateEnvironment, (name) => {
    const property = environmentSchema.properties[name as SettingName];
    return property ? `expected ${property.description}` : 'is not a setting';
  });
}

function describeErrors(validator: StandaloneValidator, expectation: (name: string) => string): Map<string, string> {
  const named = new Map<string, string>();
  for (const error of validator.errors ?? []) {
    const missing = error.params['missingProperty'];
    const name = typeof missing === 'string' ? missing : error.instancePath.split('/')[1] ?? '';
    const state = typeof missing === 'string' ? 'is not set' : 'is invalid';
    if (!named.has(name)) named.set(name, `${name} ${state}: ${expectation(name)}`);
  }
  return named;
}

function readKeySource(settings: Settings, usable: (name: SettingName) => boolean, problems: string[]): JwtKeySource | undefined {
  const given = KEY_SOURCES.filter((name) => settings[name] !== undefined);
  if (given.length !== 1) {
    problems.push(`exactly one of ${KEY_SOURCES.join(', ')} must be set, found ${given.length === 0 ? 'none' : given.join(' and ')}`);
    return undefined;
  }
  const [name] = given as [SettingName];
  if (!usable(name)) return undefined;
  if (settings.TVM_JWKS_URL !== undefined) {
    const url = URL.canParse(settings.TVM_JWKS_URL) ? new URL(settings.TVM_JWKS_URL) : undefined;
    if (url === undefined) {
      problems.push(`TVM_JWKS_URL is invalid: expected ${environmentSchema.properties.TVM_JWKS_URL.description}, and it is not a URL`);
      return undefined;
    }
    return { kind: 'jwks', url };
  }
  if (settings.TVM_JWT_SECRET !== undefined) {
    const key = new TextEncoder().encode(settings.TVM_JWT_SECRET);
    if (key.byteLength < 32) {
      problems.push('TVM_JWT_SECRET is invalid: expected an HS256 shared secret of at least 32 bytes');
      return undefined;
    }
    return { kind: 'secret', key };
  }
  const key = readPublicKey(settings.TVM_JWT_PUBLIC_KEY as string);
  const problem = typeof key === 'string' ? key : publicKeyProblem(key);
  if (problem !== undefined) {
    problems.push(`TVM_JWT_PUBLIC_KEY is invalid: ${problem}`);
    return undefined;
  }
  return { kind: 'public-key', key: key as KeyObject };
}

/** Why a parsed public key cannot verify app tokens, or `undefined` when it can. */
function publicKeyProblem(key: KeyObject): string | undefined {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < 2048) return `it is a ${bits}-bit RSA key; JWS requires at least 2048 bits`;
  if (suitableAlgorithms({ kind: 'public-key', key }).length === 0) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return `a ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''} key cannot verify tokens; give an RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519 public key`;
  }
  return undefined;
}

function readPublicKey(text: string): KeyObject | string {
  const pem = text.replace(/\\n/g, '\n');
  try {
    if (pem.startsWith('{')) {
      const jwk = JSON.parse(pem) as Record<string, unknown>;
      if (jwk['kty'] === 'oct') return 'it is a symmetric key; set TVM_JWT_SECRET instead';
      if ('d' in jwk) return 'it is a private key; give only the public key';
      return createPublicKey({ key: jwk as never, format: 'jwk' });
    }
    if (pem.includes('PRIVATE KEY')) return 'it is a private key; give only the public key';
    return createPublicKey(pem);
  } catch {
    return 'expected a public key as PEM (SPKI) or as a JWK JSON object, and it could not be read';
  }
}

function readAlgorithms(settings: Settings, source: JwtKeySource, problems: string[]): JwtAlgorithm[] {
  const suitable = suitableAlgorithms(source);
  const chosen = settings.TVM_JWT_ALGORITHMS?.split(',') as JwtAlgorithm[] | undefined;
  if (chosen === undefined) return [suitable[0] as JwtAlgorithm];
  const unsuitable = chosen.filter((algorithm) => !suitable.includes(algorithm));
  if (unsuitable.length > 0) {
    problems.push(`TVM_JWT_ALGORITHMS is invalid: ${unsuitable.join(', ')} cannot be used with this key; choose from ${suitable.join(', ')}`);
  }
  return [...new Set(chosen)];
}

function suitableAlgorithms(source: JwtKeySource): JwtAlgorithm[] {
  if (source.kind === 'secret') return ['HS256', 'HS384', 'HS512'];
  if (source.kind === 'jwks') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
  const details = source.key.asymmetricKeyDetails;
  switch (source.key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec':
      return details?.namedCurve === 'prime256v1' ? ['ES256'] : details?.namedCurve === 'secp384r1' ? ['ES384'] : details?.namedCurve === 'secp521r1' ? ['ES512'] : [];
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

/**
 * The scope configuration. When TVM_BUCKET is itself refused, the policy length is checked with the
 * shortest possible bucket name, so only scopes too long for any bucket are reported.
 */
function readScopes(settings: Settings, identityClaim: string, bucketUsable: boolean, problems: string[]): ScopeConfiguration | undefined {
  if (settings.TVM_SCOPES === undefined) return defaultScopes(identityClaim);
  const parsed = parseStrictJson(settings.TVM_SCOPES);
  if (!parsed.ok) {
    problems.push(`TVM_SCOPES is invalid: ${parsed.problem}`);
    return undefined;
  }
  const scopes = parsed.value;
  if (!validateScopes(scopes)) {
    const where = [...new Set((validateScopes.errors ?? []).map((error) => error.instancePath).filter(Boolean))];
    problems.push(`TVM_SCOPES is invalid${where.length > 0 ? ` at ${where.join(', ')}` : ''}: ${scopesSchema.description}`);
    return undefined;
  }
  const configured = scopes as ScopeConfiguration;
  problems.push(...scopeConfigurationProblems(configured, bucketUsable ? (settings.TVM_BUCKET as string) : 'abc', identityClaim).map((problem) => `TVM_SCOPES is invalid: ${problem}`));
  return configured;
}

function readDefaultScope(settings: Settings, scopes: ScopeConfiguration | undefined, problems: string[]): string | undefined {
  const names = Object.keys(scopes ?? {});
  const chosen = settings.TVM_DEFAULT_SCOPE;
  if (chosen === undefined) return names.length === 1 ? names[0] : undefined;
  if (names.length > 0 && !names.includes(chosen)) {
    problems.push(`TVM_DEFAULT_SCOPE is invalid: "${chosen}" is not one of the configured scopes (${names.join(', ')})`);
  }
  return chosen;
}

type WholeNumberSetting = 'TVM_DURATION_SECONDS' | 'TVM_STS_CALLS_PER_HOUR' | 'TVM_SIGN_MAX_SKEW_SECONDS' | 'TVM_SIGN_MAX_URL_TTL_SECONDS' | 'TVM_SIGN_POST_POLICY_TTL_SECONDS';

/**
 * The longest presigned URL (or PostObject policy), at most half the credential duration D
 * (default: the smaller of `preferred` and D/2). Then a cached credential that cannot cover a URL
 * of up to that TTL has less than D/2 left, so it is more than half used: a user presigning at the
 * maximum TTL renews at most once per D/2, and credentials just renewed always cover the URL. With
 * a TTL near D every request would miss the cache and call STS.
 */
/**
 * A key setting (`TVM_SIGNING_SESSION_KEY`, `TVM_SHARED_CACHE_KEY`): 32 random bytes, base64
 * (standard or URL-safe), such as the output of `openssl rand -base64 32`. Anything else would
 * make a weaker key or none, so it is refused; the message never repeats the value.
 */
function readKey(settings: Settings, name: 'TVM_SIGNING_SESSION_KEY' | 'TVM_SHARED_CACHE_KEY', problems: string[]): Uint8Array | undefined {
  const text = settings[name];
  if (text === undefined) return undefined;
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== SESSION_KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')) {
    problems.push(`${name} must be ${SESSION_KEY_BYTES} random bytes in base64 (openssl rand -base64 ${SESSION_KEY_BYTES})`);
    return undefined;
  }
  return key;
}

/**
 * The shared credential cache: both `TVM_SHARED_CACHE_URL` and `TVM_SHARED_CACHE_KEY`, or neither.
 * The URL may hold a password, so no message repeats it, nor any part of it.
 */
function readSharedCache(settings: Settings, problems: string[]): SharedCacheSettings | undefined {
  const text = settings.TVM_SHARED_CACHE_URL;
  if (text === undefined) {
    if (settings.TVM_SHARED_CACHE_KEY !== undefined) problems.push('TVM_SHARED_CACHE_KEY is set but TVM_SHARED_CACHE_URL is not: set both for the shared credential cache, or neither');
    return undefined;
  }
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const database = url?.pathname.replace(/^\//, '') ?? '';
  if (url === undefined || url.hostname === '' || !/^([0-9]{1,2})?$/.test(database) || url.search !== '' || url.hash !== '') {
    problems.push(`TVM_SHARED_CACHE_URL is invalid: expected ${environmentSchema.properties.TVM_SHARED_CACHE_URL.description}, with a host and at most a database number after it (the value is not repeated here, as it may hold a password)`);
    return undefined;
  }
  if (settings.TVM_SHARED_CACHE_KEY === undefined) {
    problems.push(`TVM_SHARED_CACHE_KEY is not set: the shared credential cache (TVM_SHARED_CACHE_URL) needs a key of ${SESSION_KEY_BYTES} random bytes in base64 (openssl rand -base64 ${SESSION_KEY_BYTES}) to seal its entries`);
    return undefined;
  }
  const key = readKey(settings, 'TVM_SHARED_CACHE_KEY', problems);
  return key === undefined ? undefined : { url: text, key };
}

function readTtlWithinHalfDuration(settings: Settings, name: 'TVM_SIGN_MAX_URL_TTL_SECONDS' | 'TVM_SIGN_POST_POLICY_TTL_SECONDS', preferred: number, durationSeconds: number | undefined, problems: string[]): number | undefined {
  if (durationSeconds === undefined) return readWholeNumber(settings, name, preferred, 60, 43200, problems);
  const half = Math.floor(durationSeconds / 2);
  const ttl = readWholeNumber(settings, name, Math.min(preferred, half), 60, 43200, problems);
  if (ttl !== undefined && ttl > half) {
    const what = name === 'TVM_SIGN_MAX_URL_TTL_SECONDS' ? 'a presigned URL' : 'a PostObject policy';
    problems.push(
      `${name} is invalid: ${ttl} is more than half of TVM_DURATION_SECONDS (${durationSeconds}), so cached credentials could rarely cover ${what} and nearly every one would cost an AssumeRole call; ` +
        `set ${name} to at most ${half}${2 * ttl <= 43200 ? `, or TVM_DURATION_SECONDS to at least ${2 * ttl}` : ` (${what} can last at most 21600 seconds, half of the longest duration)`}`,
    );
  }
  return ttl;
}

/** The setting's whole number from `min` to `max` (`fallback` when unset), or `undefined` with a problem. */
function readWholeNumber(settings: Settings, name: WholeNumberSetting, fallback: number, min: number, max: number, problems: string[]): number | undefined {
  const value = Number(settings[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} is invalid: expected ${environmentSchema.properties[name].description}`);
    return undefined;
  }
  return value;
}
