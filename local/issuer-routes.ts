/**
 * The demo identity provider over HTTP, under `/issuer`: an index, tokens on request, its key set
 * and an OpenID discovery document.
 */
import { type DemoIssuer, TIME_CLAIMS } from './demo-issuer';
import { type RouteTable, getOnly, sendJson, sendText } from './routes';

/** The longest lifetime `/issuer/token` issues, either way: one day. */
export const MAX_TTL_SECONDS = 86_400;

/** What `/issuer/token` was asked for. */
export interface TokenQuery {
  readonly subject: string;
  readonly lifetimeSeconds: number;
  readonly claims: Readonly<Record<string, string>>;
}

const DEFAULT_SUBJECT = 'alice';
const DEFAULT_TTL_SECONDS = 3600;
const MAX_CLAIM_LENGTH = 256;

/**
 * Reads `/issuer/token`'s query: `sub` (default `alice`), `ttl` in seconds (default 3600; zero or
 * less gives an expired token), and any other parameter as a string claim of that name.
 *
 * @returns the request, or a sentence saying what is wrong.
 * @example
 * ```ts
 * parseTokenQuery(new URLSearchParams('sub=bob&ttl=-60&email=bob@example.com'));
 * // { subject: 'bob', lifetimeSeconds: -60, claims: { email: 'bob@example.com' } }
 * ```
 */
export function parseTokenQuery(query: URLSearchParams): TokenQuery | string {
  const names = [...query.keys()];
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) return `"${shown(repeated)}" is given more than once: give each parameter once.`;
  let subject = DEFAULT_SUBJECT;
  let lifetimeSeconds = DEFAULT_TTL_SECONDS;
  const claims: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of query) {
    if (name === '' || name.length > MAX_CLAIM_LENGTH || value.length > MAX_CLAIM_LENGTH) return `Parameter names and values are 1 to ${MAX_CLAIM_LENGTH} characters.`;
    if (name === 'sub') {
      if (value === '') return 'sub is empty: give the user the token is for, such as sub=alice.';
      subject = value;
    } else if (name === 'ttl') {
      const seconds = /^-?\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
      if (!(Math.abs(seconds) <= MAX_TTL_SECONDS)) return `ttl is the token's lifetime in whole seconds, from -${MAX_TTL_SECONDS} to ${MAX_TTL_SECONDS} (zero or less: already expired).`;
      lifetimeSeconds = seconds;
    } else if (TIME_CLAIMS.includes(name)) {
      return `${name} comes from ttl: give the lifetime in seconds instead, such as ttl=60 or ttl=-60.`;
    } else {
      claims[name] = value;
    }
  }
  return { subject, lifetimeSeconds, claims };
}

/**
 * The routes of the demo identity provider at `base` (such as `/issuer`) of `origin`.
 *
 * @param verifiedWith how the functions verify its tokens, such as `TVM_JWKS_URL=<url>`.
 */
export function issuerRoutes(issuer: DemoIssuer, origin: string, base: string, verifiedWith: string): RouteTable {
  const url = `${origin}${base}`;
  const jwksUri = `${url}/.well-known/jwks.json`;
  return {
    [base]: getOnly((_request, response) =>
      sendText(response, 200, [
        'Demo identity provider of the oss-tvm sandbox. Never run it anywhere but on your own machine.',
        '',
        `  ${url}/token?sub=<user>[&ttl=<seconds>][&<claim>=<value>…]`,
        `      a token for <user>, valid for ttl seconds (default ${DEFAULT_TTL_SECONDS}; zero or less: already expired,`,
        '      beyond the 30 s of clock skew the functions allow below -30), with any other parameter as a string claim',
        `  ${url}/.well-known/openid-configuration   OpenID discovery document`,
        `  ${jwksUri}   its public keys (JWKS)`,
        '',
        `Issuer (iss): ${issuer.issuer}`,
        `Audience (aud): ${issuer.audience}`,
        `Algorithm: ${issuer.algorithm}`,
        `The functions verify its tokens with ${verifiedWith}.`,
      ].join('\n')),
    ),
    [`${base}/token`]: getOnly(async (_request, response, requestUrl) => {
      const query = parseTokenQuery(requestUrl.searchParams);
      if (typeof query === 'string') {
        sendText(response, 400, query);
        return;
      }
      sendText(response, 200, await issuer.issue(query.subject, query.lifetimeSeconds, query.claims));
    }),
    [`${base}/.well-known/jwks.json`]: getOnly((_request, response) => sendJson(response, 200, issuer.jwks)),
    [`${base}/.well-known/openid-configuration`]: getOnly((_request, response) =>
      sendJson(response, 200, {
        issuer: issuer.issuer,
        jwks_uri: jwksUri,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [issuer.algorithm],
        claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp'],
      }),
    ),
  };
}

/** A parameter name fit to quote back: printable ASCII, cut short. */
function shown(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}
