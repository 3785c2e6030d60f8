/**
 * Bucket CORS as OSS applies it (OSS API "PutBucketCors" and "Options"): the first rule whose
 * AllowedOrigin, AllowedMethod and AllowedHeader all match decides. A preflight `OPTIONS` is answered
 * without authentication: 200 with the Access-Control-* headers, 403 `AccessForbidden` when no rule
 * matches, 400 `BadRequest` without Origin or Access-Control-Request-Method. Other requests from a
 * matching origin get the same headers on their answer, errors included, so a page can read them.
 */
import { OssError } from './errors';
import { wildcardMatch } from './policy';

/** One CORS rule of a bucket. Origins and headers may hold `*` wildcards. */
export interface CorsRule {
  readonly allowedOrigins: readonly string[];
  /** GET, PUT, DELETE, POST, HEAD. */
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAgeSeconds?: number;
}

/** A bucket's CORS configuration. */
export interface CorsConfiguration {
  readonly rules: readonly CorsRule[];
  /** Adds `Vary: Origin` to CORS answers (OSS's ResponseVary). */
  readonly responseVary?: boolean;
}

/**
 * The answer to a preflight request.
 *
 * @throws OssError 400 `BadRequest` without Origin or Access-Control-Request-Method; 403
 *   `AccessForbidden` when CORS is not enabled or no rule matches.
 */
export function preflight(configuration: CorsConfiguration | undefined, headers: Readonly<Record<string, string>>): Record<string, string> {
  const origin = headers['origin'];
  const method = headers['access-control-request-method'];
  if (origin === undefined) throw new OssError(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
  if (method === undefined) throw new OssError(400, 'BadRequest', 'Insufficient information. Request Access-Control-Request-Method header needed.');
  if (configuration === undefined || configuration.rules.length === 0) throw new OssError(403, 'AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
  const requested = (headers['access-control-request-headers'] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const rule = configuration.rules.find((candidate) => ruleMatches(candidate, origin, method) && requested.every((name) => (candidate.allowedHeaders ?? []).some((pattern) => wildcardMatch(pattern, name, true))));
  if (rule === undefined) {
    throw new OssError(403, 'AccessForbidden', "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.");
  }
  return {
    ...ruleHeaders(rule, origin, configuration),
    ...(requested.length === 0 ? {} : { 'Access-Control-Allow-Headers': requested.join(', ') }),
  };
}

/** The CORS headers for an ordinary request (its answer or its error), empty when no rule matches. */
export function corsHeaders(configuration: CorsConfiguration | undefined, headers: Readonly<Record<string, string>>, method: string): Record<string, string> {
  const origin = headers['origin'];
  if (origin === undefined || configuration === undefined) return {};
  const rule = configuration.rules.find((candidate) => ruleMatches(candidate, origin, method));
  return rule === undefined ? {} : ruleHeaders(rule, origin, configuration);
}

function ruleMatches(rule: CorsRule, origin: string, method: string): boolean {
  return rule.allowedOrigins.some((pattern) => wildcardMatch(pattern, origin)) && rule.allowedMethods.includes(method.toUpperCase());
}

function ruleHeaders(rule: CorsRule, origin: string, configuration: CorsConfiguration): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': rule.allowedOrigins.includes('*') ? '*' : origin,
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', '),
    ...(rule.exposeHeaders === undefined || rule.exposeHeaders.length === 0 ? {} : { 'Access-Control-Expose-Headers': rule.exposeHeaders.join(', ') }),
    ...(rule.maxAgeSeconds === undefined ? {} : { 'Access-Control-Max-Age': String(rule.maxAgeSeconds) }),
    ...(configuration.responseVary ? { Vary: 'Origin' } : {}),
  };
}
