/**
 * Arbitraries for every untrusted surface: whole FC events, request bodies and queries, bearer
 * tokens (an attack corpus, mutations of valid tokens, random bytes), identities, scope names and
 * string-to-sign contents. Inputs that should be accepted reuse the pooled identities, so their STS
 * credentials come from the cache.
 */
import fc from 'fast-check';
import { isSafeIdentity } from './oracle';
import {
  AUDIENCE, BUCKET, FUNCTIONS, type FunctionName, ISSUER, type JwsAlgorithm, ORIGIN, OTHER_AUDIENCE, POOL, SCOPE_NAMES, type ScopeName, SKEW_SECONDS, URL_TTL_SECONDS, type World,
  b64url, claimsFor, prefixOf, signJws,
} from './world';
import { BINARY } from '../helpers/code-points';

// ---------------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------------

export const poolIdentity = fc.constantFrom(...POOL);
export const configuredScope = fc.constantFrom(...SCOPE_NAMES);
export const rfc1123 = (ms: number): string => new Date(ms).toUTCString();

/** Values of every JSON type but string, and a few non-JSON ones FC never sends. */
const notAString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));

/** Builds an arbitrary once per key: some take milliseconds to construct, far more than a run. */
function memo<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    if (!made.has(key)) made.set(key, make(key));
    return made.get(key) as V;
  };
}

const awkward = fc.stringMatching(/^[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\ufeff]{1,4}$/);

/** Strings of any kind: ASCII, any code point, lone surrogates, controls. */
export const anyString = memo((maxLength: number) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: BINARY, maxLength }), awkward));

/** A safe identity outside the pool (needs an STS call; keep it rare). */
export const randomSafeIdentity = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@|-]{0,63}$/).filter((value) => !value.includes('..'));

/** Identities an attacker would try, and random strings (some of which happen to be safe). */
export const hostileIdentity = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '', '.', '..', 'alice/../bob', 'alice/', '/alice', 'alice/bob', 'al*ce', 'al?ce', '*', '?', '${sub}', '${aws:username}', 'a${sub}', 'alice bob', ' alice', 'alice ', 'alice\n',
      'alice\r', 'alice\t', 'alice\u0000', '"alice"', "alice'", 'al\\ice', '\u0430lice', 'alice\u200b', '\uff41lice', '-alice', '.alice', '_alice', '@alice', '|alice', 'a..b',
      'alice..', 'x'.repeat(65), 'users/alice', 'alice%2F..', '%00', '\ud800', 'alice\u2028', 'a:b', 'a,b', 'a#b', 'a+b', 'a=b', 'a~b', 'a;b', 'a&b', 'a$&b', "a$'b", 'a`b',
      '\u00e9', 'alice\u0301', '\u{1f600}', 'ALICE\u212a', 'A'.repeat(64) + '\u0000',
    ),
  },
  // Random strings that happen to be safe are left to randomSafeIdentity: each one costs an STS call.
  { weight: 3, arbitrary: anyString(80).filter((value) => !isSafeIdentity(value)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...POOL), fc.nat(), fc.constantFrom('/', '*', '?', ' ', '..', '$', '{', '}', '"', '\\', '\n', '\u0000', '\u00e9', '%', '#', '&', '=', ',', ':')).map(([base, at, bad]) => base.slice(0, at % (base.length + 1)) + bad + base.slice(at % (base.length + 1))) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@|-]{64,90}$/) },
);

/** Scope names: the configured ones, near misses, prototype names and random strings. */
export const scopeName = fc.oneof(
  { weight: 5, arbitrary: configuredScope },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      'User', 'USER', ' user', 'user ', 'user\n', 'user\u0000', 'us\u0435r', '\uff55ser', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype',
      'user,shared', 'user shared', 'shared/', '../user', 'user/', '%75ser', 'team_docs-2 ', 'team-docs-2', 'team_docs_2', 'admin', 'root', '*', '', '\u0000', '\u00fc', 'user\u200b',
      'SHARED', 'shared\t', 'user;shared', '["user"]', 'null', 'undefined', 'user\ud800',
    ),
  },
  { weight: 2, arbitrary: anyString(40) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_-]{0,40}$/) },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 1500 }) },
);

// ---------------------------------------------------------------------------------------------
// Valid contents (the base every mutation starts from)
// ---------------------------------------------------------------------------------------------

/** A content the caller may sign under `scope`, dated at `now`: a GET (every scope reads) or, for `user`, a PUT. */
export function validContent(identity: string, scope: ScopeName, now: number, variant = 0): string {
  const prefix = prefixOf(scope, identity);
  const date = rfc1123(now);
  switch (scope === 'user' ? variant % 4 : variant % 2) {
    case 0:
      return `GET\n\n\n${date}\n/${BUCKET}/${prefix}photo.jpg`;
    case 1:
      return `HEAD\n\n\n${date}\nx-oss-meta-app:abuse\n/${BUCKET}/${prefix}dir/photo.jpg?objectMeta`;
    case 2:
      return `PUT\n\nimage/jpeg\n${date}\nx-oss-meta-owner:${identity.replace(/\|/g, '-')}\n/${BUCKET}/${prefix}a.jpg`;
    default:
      return `POST\n\n\n${date}\n/${BUCKET}/${prefix}big.bin?uploads`;
  }
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens
// ---------------------------------------------------------------------------------------------

/** An Authorization header value and what it is; `equivalent` names a valid token of the same bytes. */
export interface TokenCase {
  readonly label: string;
  readonly identity: string;
  readonly header: string | undefined;
  readonly equivalent?: string;
}

/** True when `candidate` is a three-part token whose parts decode to the same bytes as `original`'s. */
export function sameBytes(candidate: string, original: string): boolean {
  const parts = candidate.split('.');
  const originals = original.split('.');
  return parts.length === 3 && parts.every((part, index) => /^[A-Za-z0-9_-]*$/.test(part) && Buffer.from(part, 'base64url').equals(Buffer.from(originals[index] ?? '', 'base64url')));
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The JWT attack corpus, mutations of valid tokens and random bytes. */
export function tokenCase(world: World): fc.Arbitrary<TokenCase> {
  const { keys } = world;
  const trusted = keys.trusted.privateKey;
  const valid = (identity: string) => world.tokenFor(identity);
  const caseOf = (label: string, identity: string, header: string | undefined, equivalent?: string): TokenCase => ({ label, identity, header, ...(equivalent === undefined ? {} : { equivalent }) });
  const bearer = (token: string) => `Bearer ${token}`;
  // The claims' times are the handlers' clock (as for the world's own tokens), not the wall clock,
  // which moves on during a run (a token made "60 s expired" would age into the clock tolerance on
  // a slow run). With the times fixed, the corpus holds few distinct tokens; each is signed once
  // (signing costs far more than a run; RSA PKCS#1 v1.5 and HMAC signatures are deterministic, so
  // these are the very bytes a fresh signature would give).
  const now = world.now / 1000;
  const atNow = (identity: unknown, extra: Record<string, unknown> = {}) => claimsFor(identity, extra, now);
  const signatures = new Map<unknown, Map<string, string>>();
  const sign = (alg: JwsAlgorithm, key: Parameters<typeof signJws>[1], header: unknown, payload: unknown): string => {
    let byInput = signatures.get(key);
    if (byInput === undefined) signatures.set(key, (byInput = new Map()));
    const input = JSON.stringify([alg, header, payload]);
    let token = byInput.get(input);
    if (token === undefined) byInput.set(input, (token = signJws(alg, key, header, payload)));
    return token;
  };

  const schemes = fc.tuple(poolIdentity, fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'bEaReR ', 'Bearer   '), fc.constantFrom('', ' ', '   ')).map(([identity, scheme, tail]) => caseOf('valid-scheme', identity, `${scheme}${valid(identity)}${tail}`));
  const badSchemes = fc.tuple(poolIdentity, fc.constantFrom('Bearer\t', 'Basic ', 'Token ', 'JWT ', '', 'Bearer', 'Bearer:', ' Bearer ', 'Bearer "', 'Bearer\u00a0', 'Bearer\n', 'Bearer,', 'Bearer=')).map(([identity, scheme]) =>
    caseOf('bad-scheme', identity, `${scheme}${valid(identity)}${scheme.endsWith('"') ? '"' : ''}`),
  );
  const algNone = fc.tuple(poolIdentity, fc.constantFrom('none', 'None', 'NONE', 'nOnE', '', 'none '), fc.constantFrom('', 'copied', 'AAAA')).map(([identity, alg, signature]) => {
    const unsigned = `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(atNow(identity)))}`;
    return caseOf('alg-none', identity, bearer(`${unsigned}.${signature === 'copied' ? (valid(identity).split('.')[2] ?? '') : signature}`));
  });
  const hmacKeys: readonly (string | Uint8Array)[] = [
    keys.trusted.publicPem, keys.trusted.publicPem.trim(), JSON.stringify(keys.trusted.publicJwk), keys.trusted.publicDer, String(keys.trusted.publicJwk['n']), '', 'secret',
  ];
  const confusion = fc.tuple(poolIdentity, fc.constantFrom<JwsAlgorithm>('HS256', 'HS384', 'HS512'), fc.constantFrom(...hmacKeys)).map(([identity, alg, key]) => caseOf('hs-rs-confusion', identity, bearer(sign(alg, key, { alg, typ: 'JWT' }, atNow(identity)))));
  const wrongKey = fc.tuple(poolIdentity, fc.constantFrom('RS256', 'ES256', 'EdDSA') as fc.Arbitrary<'RS256' | 'ES256' | 'EdDSA'>, fc.option(fc.string({ maxLength: 10 }))).map(([identity, alg, kid]) => {
    const key = alg === 'RS256' ? keys.attackerRsa.privateKey : alg === 'ES256' ? keys.attackerEc : keys.attackerEd;
    return caseOf('wrong-key', identity, bearer(sign(alg, key, { alg, typ: 'JWT', ...(kid === null ? {} : { kid }) }, atNow(identity))));
  });
  const algNotAllowed = fc.tuple(poolIdentity, fc.constantFrom<JwsAlgorithm>('PS256', 'RS384', 'RS512')).map(([identity, alg]) => caseOf('alg-not-allowed', identity, bearer(sign(alg, trusted, { alg, typ: 'JWT' }, atNow(identity)))));
  const badClaims = fc.tuple(
    poolIdentity,
    fc.oneof(
      fc.integer({ min: 60, max: 10_000_000 }).map((ago) => ['expired', { exp: now - ago }] as const),
      fc.integer({ min: 60, max: 10_000_000 }).map((ahead) => ['not-yet-valid', { nbf: now + ahead }] as const),
      fc.constantFrom<unknown>(undefined, '', 'https://id.abuse.example', 'https://ID.abuse.example/', `${ISSUER} `, 'https://evil.example/', [ISSUER], 42, null).map((iss) => ['issuer', { iss }] as const),
      fc.constantFrom<unknown>(undefined, '', 'oss-tvm', AUDIENCE.toUpperCase(), [], ['other'], 42, `${AUDIENCE},${OTHER_AUDIENCE}`, ` ${AUDIENCE}`, null).map((aud) => ['audience', { aud }] as const),
      fc.constantFrom<unknown>(undefined, '9999999999', null, [now + 600]).map((exp) => ['expiry', { exp }] as const),
      fc.constant(['no-sub', { sub: undefined }] as const),
      fc.constantFrom<unknown>('yesterday', null, [1]).map((iat) => ['issued-at', { iat }] as const),
      fc.constantFrom<unknown>('tomorrow', null).map((nbf) => ['not-before', { nbf }] as const),
    ),
  ).map(([identity, [kind, claims]]) => caseOf(`bad-claims:${kind}`, identity, bearer(sign('RS256', trusted, { alg: 'RS256', typ: 'JWT' }, atNow(identity, claims)))));
  const validVariants = fc.tuple(
    poolIdentity,
    fc.constantFrom<readonly [Record<string, unknown>, Record<string, unknown>]>(
      [{ aud: [AUDIENCE, 'someone-else'] }, {}],
      [{ aud: OTHER_AUDIENCE }, {}],
      [{ aud: [OTHER_AUDIENCE] }, {}],
      [{ iat: undefined }, {}],
      [{ scope: 'admin', roles: ['*'], 'https://claims.example/x': { a: 1 }, users: ['bob'] }, {}],
      [{}, { kid: 'any-kid' }],
      [{}, { typ: 'at+jwt' }],
      [{}, { jku: 'https://evil.example/jwks.json' }],
      [{}, { x5u: 'https://evil.example/cert.pem' }],
      [{}, { jwk: keys.attackerRsa.publicJwk }],
      // Without "crit", b64 has no effect (RFC 7797 §6); zip means nothing to a JWS.
      [{}, { b64: false }],
      [{}, { zip: 'DEF' }],
    ),
    fc.constantFrom('exp-in-tolerance', 'nbf-in-tolerance', 'plain'),
  ).map(([identity, [claims, header], timing]) => {
    const timed = timing === 'exp-in-tolerance' ? { exp: now - 20 } : timing === 'nbf-in-tolerance' ? { nbf: now + 20 } : {};
    return caseOf('valid-variant', identity, bearer(world.signedFor(identity, { ...claims, ...timed }, header)));
  });
  const critical = fc.tuple(poolIdentity, fc.constantFrom<Record<string, unknown>>({ crit: ['x-custom'], 'x-custom': true }, { crit: [] }, { crit: 'x-custom' }, { crit: ['alg'] }, { crit: ['b64'], b64: false }, { crit: ['exp'], exp: 1 }, { crit: [''] }, { crit: [1] })).map(([identity, header]) =>
    caseOf('crit', identity, bearer(sign('RS256', trusted, { alg: 'RS256', typ: 'JWT', ...header }, atNow(identity)))),
  );
  const structure = fc.tuple(
    poolIdentity,
    fc.constantFrom<readonly [unknown, unknown | undefined]>(
      [{ alg: 'RS256' }, [1]], [{ alg: 'RS256' }, '"alice"'], [{ alg: 'RS256' }, 'null'], [{ alg: 'RS256' }, 'not json'], [[1], undefined], ['not json', undefined],
      [{}, undefined], [{ typ: 'JWT' }, undefined], [{ alg: ['RS256'] }, undefined], [{ alg: 'rs256' }, undefined], [{ alg: 'RS256 ' }, undefined],
    ),
  ).map(([identity, [header, payload]]) => caseOf('bad-structure', identity, bearer(sign('RS256', trusted, header, payload === undefined ? atNow(identity) : payload))));
  const embedded = fc.tuple(poolIdentity, fc.constantFrom<Record<string, unknown>>({ jwk: keys.attackerRsa.publicJwk }, { jwk: keys.trusted.publicJwk }, { jku: 'https://evil.example/jwks.json', kid: 'evil' }, { x5u: 'https://evil.example/cert.pem' }, { kid: '../../../dev/null' })).map(([identity, header]) =>
    caseOf('embedded-key', identity, bearer(sign('RS256', keys.attackerRsa.privateKey, { alg: 'RS256', typ: 'JWT', ...header }, atNow(identity)))),
  );
  const mutated = fc.tuple(poolIdentity, fc.nat(), fc.nat(), fc.constantFrom(...BASE64URL, '.', '=', '+', '/', ' ', '\t', '%', '"', ','), fc.integer({ min: 0, max: 11 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/)).map(([identity, at, other, char, kind, tail]) => {
    const original = valid(identity);
    const position = at % original.length;
    const [header = '', payload = '', signature = ''] = original.split('.');
    const foreign = valid(POOL[other % POOL.length] ?? 'bob').split('.');
    const candidates: readonly string[] = [
      original.slice(0, position) + char + original.slice(position + 1),
      original.slice(0, position) + original.slice(position + 1),
      original.slice(0, position) + char + original.slice(position),
      original.slice(0, position),
      `${original}${tail}`,
      `${payload}.${header}.${signature}`,
      `${header}.${foreign[1] ?? ''}.${signature}`,
      `${header}.${payload}.`,
      `${original}.${tail}`,
      original.toUpperCase(),
      `${original} ${original}`,
      `${header}=.${payload}.${signature}`,
    ];
    const candidate = candidates[kind] ?? original;
    if (candidate === original) return caseOf('valid', identity, bearer(original));
    return caseOf('mutated', identity, bearer(candidate), sameBytes(candidate, original) ? original : undefined);
  });
  const random = fc.tuple(
    poolIdentity,
    fc.oneof(
      anyString(200),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/), fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/), fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/)).map((parts) => `Bearer ${parts.join('.')}`),
      fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 64 })).map(([header, payload, signature]) => `Bearer ${b64url(JSON.stringify(header) ?? '')}.${b64url(JSON.stringify(payload) ?? '')}.${b64url(signature)}`),
      fc.constantFrom(`Bearer ${'a'.repeat(9000)}.b.c`, `Bearer a.${'b'.repeat(8150)}.c`, 'Bearer ...', 'Bearer a..b', 'Bearer ..', 'Bearer a.b', 'Bearer a.b.c.d.e'),
    ),
  ).map(([identity, header]) => caseOf('random', identity, header));
  const missing = poolIdentity.map((identity) => caseOf('missing', identity, undefined));

  return fc.oneof(
    { weight: 3, arbitrary: poolIdentity.map((identity) => caseOf('valid', identity, bearer(valid(identity)))) },
    { weight: 2, arbitrary: schemes },
    { weight: 2, arbitrary: badSchemes },
    { weight: 2, arbitrary: algNone },
    { weight: 2, arbitrary: confusion },
    { weight: 2, arbitrary: wrongKey },
    { weight: 1, arbitrary: algNotAllowed },
    { weight: 4, arbitrary: badClaims },
    { weight: 2, arbitrary: validVariants },
    { weight: 1, arbitrary: critical },
    { weight: 1, arbitrary: structure },
    { weight: 1, arbitrary: embedded },
    { weight: 5, arbitrary: mutated },
    { weight: 3, arbitrary: random },
    { weight: 1, arbitrary: missing },
  );
}

/** A `sub` claim value: pooled identities, rare random safe ones, hostile strings, non-strings, none. */
export const subClaim: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 16, arbitrary: poolIdentity },
  { weight: 1, arbitrary: randomSafeIdentity },
  { weight: 24, arbitrary: hostileIdentity },
  { weight: 2, arbitrary: notAString },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

// ---------------------------------------------------------------------------------------------
// String-to-sign contents: mobile-shaped, then mutated
// ---------------------------------------------------------------------------------------------

const TEMPLATES: ReadonlyArray<readonly [string, string]> = [
  ['PUT', ''], ['PUT', 'partNumber=1&uploadId=0004B9894A22E5B1888A1E29F823'], ['PUT', 'partNumber=10000&uploadId=abc'], ['POST', 'uploads'], ['POST', 'sequential&uploads'],
  ['POST', 'uploadId=abc'], ['POST', 'append&position=0'], ['POST', 'append&position=1048576'], ['DELETE', 'uploadId=abc'], ['GET', 'uploadId=abc'], ['GET', ''], ['HEAD', ''],
  ['GET', 'objectMeta'], ['HEAD', 'objectMeta'], ['GET', 'response-content-disposition=attachment&response-content-type=image/png'], ['GET', 'response-expires'], ['DELETE', ''],
];
const SUBRESOURCES = [
  'acl', 'append', 'append=1', 'cors', 'delete', 'lifecycle', 'objectMeta', 'objectMeta=1', 'partNumber=0', 'partNumber=1', 'partNumber=x', 'position=-1', 'position=0', 'position=01',
  'response-cache-control=no-cache', 'response-content-type=text/html', 'restore', 'sequential', 'symlink', 'tagging', 'uploadId=', 'uploadId=abc', 'uploadId=a/../b', 'uploadId=a.b',
  'uploads', 'uploads=1', 'versionId=v1', 'versioning', 'website', 'x-oss-process=image/resize,w_1', 'x-oss-process=image/resize,w_1|sys/saveas,o_dXNlcnMvYm9i', 'Acl', 'a b', '',
  'location', 'continuation-token=x', 'prefix=users/', 'policy', 'worm',
];
const HOSTILE_HEADERS = [
  'x-oss-callback:eyJjYWxsYmFja1VybCI6Imh0dHA6Ly8xNjkuMjU0LjE2OS4yNTQvIn0=', 'x-oss-callback-var:eyJ4Ijoi', 'x-oss-copy-source:/photos/users/bob/a.jpg', 'x-oss-copy-source-range:bytes=0-1',
  'x-oss-object-acl:public-read-write', 'x-oss-server-side-encryption:KMS', 'x-oss-storage-class:Archive', 'x-oss-tagging:a=b', 'x-oss-symlink-target:users/bob/a.jpg', 'x-oss-process:x',
  'x-oss-acl:public-read', 'x-oss-meta-a:', 'x-oss-meta-a: 1', 'x-oss-meta-a:1 ', 'x-oss-meta-a:\u00e9', 'X-OSS-META-A:1', 'x-oss-Meta-a:1', 'host:evil.example', 'x-oss-meta-a',
  'x-oss-meta-a:1\r', 'x-oss-:1', 'x-oss-meta_a:1', 'content-md5:1B2M2Y8AsgTpgAmY7PhCfg==', 'x-oss-request-payer:requester', 'x-oss-version-id:v1', 'x-oss-hash-ctx:x',
];

/** One content, for a caller, and how it was made (for the tally). */
export interface ContentCase {
  readonly text: string;
  readonly mutations: readonly string[];
}

const entryName = (entry: string): string => entry.split(/[:=]/)[0] ?? '';
const byName = (a: string, b: string): number => (entryName(a) < entryName(b) ? -1 : entryName(a) > entryName(b) ? 1 : 0);

/** Contents shaped like the mobile SDKs', for `identity` under `scope`, each part sometimes replaced by a hostile one. */
export function contentCase(world: World, identity: string, scope: ScopeName): fc.Arbitrary<ContentCase> {
  const { now } = world;
  const own = prefixOf(scope, identity);
  const token = world.currentToken(identity, scope);
  const expires = (seconds: number) => String(Math.floor(now / 1000) + seconds);
  const safeHeaders = [
    `x-oss-date:${rfc1123(now)}`, 'x-oss-forbid-overwrite:true', 'x-oss-meta-a:1', 'x-oss-meta-owner:abuse', 'x-oss-meta-zz:a b c', 'x-oss-range-behavior:standard',
    'x-oss-traffic-limit:819200', ...(token === undefined ? [] : [`x-oss-security-token:${token}`]),
  ];
  const hostileHeaders = [...HOSTILE_HEADERS, `x-oss-date:${rfc1123(now - 3600_000)}`, `x-oss-date:${rfc1123(now + (SKEW_SECONDS + 1) * 1000)}`, 'x-oss-date:yesterday', 'x-oss-security-token:CAISstolen', 'x-oss-security-token:x'];
  const tokenSubresources = token === undefined ? [] : [`security-token=${token}`, 'security-token=CAISstolen', 'security-token'];

  const date = fc.oneof(
    { weight: 30, arbitrary: fc.integer({ min: -SKEW_SECONDS, max: SKEW_SECONDS }).map((seconds) => rfc1123(now + seconds * 1000)) },
    { weight: 12, arbitrary: fc.integer({ min: 1, max: URL_TTL_SECONDS }).map(expires) },
    { weight: 1, arbitrary: fc.constantFrom(rfc1123(now - SKEW_SECONDS * 1000), rfc1123(now + SKEW_SECONDS * 1000), expires(URL_TTL_SECONDS), expires(1)) },
    { weight: 1, arbitrary: fc.constantFrom(rfc1123(now - (SKEW_SECONDS + 1) * 1000), rfc1123(now + (SKEW_SECONDS + 1) * 1000), expires(URL_TTL_SECONDS + 1), expires(0), expires(-1)) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: SKEW_SECONDS + 1, max: 400_000_000 }), fc.integer({ min: -400_000_000, max: -SKEW_SECONDS - 1 })).map((seconds) => rfc1123(now + seconds * 1000)) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -1_000_000_000, max: 0 }), fc.integer({ min: URL_TTL_SECONDS + 1, max: 2_000_000_000 })).map(expires) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '', '0', '0123', '99999999999999', '1e10', ' ' + rfc1123(now), rfc1123(now).toLowerCase(), rfc1123(now).replace(' GMT', ''), rfc1123(now).replace('GMT', 'UTC'),
        new Date(now).toISOString(), rfc1123(now).replace(/^\w{3}/, 'Xyz'), String(now), `${expires(10)}.5`, `-${expires(10)}`, `+${expires(10)}`,
      ),
    },
  );
  const reads = TEMPLATES.filter(([verb]) => verb === 'GET' || verb === 'HEAD');
  const template = scope === 'user' ? fc.constantFrom(...TEMPLATES) : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...reads) }, { weight: 1, arbitrary: fc.constantFrom(...TEMPLATES) });
  const verb = fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'COPY', 'get', 'GET ', ' GET', 'GETGETGETGETGETGET', '') });
  const md5 = fc.oneof({ weight: 16, arbitrary: fc.constant('') }, { weight: 3, arbitrary: fc.constantFrom('1B2M2Y8AsgTpgAmY7PhCfg==', 'XrY7u+Ae7tCTyyK7j1rNww==') }, { weight: 1, arbitrary: fc.constantFrom('abc', '1B2M2Y8AsgTpgAmY7PhCfg=', '1B2M2Y8AsgTpgAmY7PhCfg==\r', 'AAAAAAAAAAAAAAAAAAAAAAAA') });
  const contentType = fc.oneof({ weight: 20, arbitrary: fc.constantFrom('', 'image/jpeg', 'application/octet-stream', 'text/plain; charset=utf-8') }, { weight: 1, arbitrary: fc.constantFrom(' image/jpeg', 'image/jpeg ', 'image/j\u00e9peg', 'x'.repeat(257), 'x'.repeat(256), 'a\tb') });
  const headers = fc
    .tuple(
      fc.subarray(safeHeaders, { maxLength: 3 }),
      fc.oneof({ weight: 12, arbitrary: fc.constant<string[]>([]) }, { weight: 2, arbitrary: fc.subarray(hostileHeaders, { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: fc.array(fc.stringMatching(/^x-oss-[a-z0-9-]{1,20}:[!-~]{1,10}$/), { minLength: 1, maxLength: 2 }) }),
      fc.oneof({ weight: 20, arbitrary: fc.constant('sorted') }, { weight: 1, arbitrary: fc.constantFrom('unsorted', 'duplicate') }),
    )
    .map(([safe, hostile, order]) => {
      const all = [...safe, ...hostile];
      if (order === 'unsorted') return all.sort(byName).reverse();
      if (order === 'duplicate' && all.length > 0) return [...all, all[0] as string].sort(byName);
      return all.sort(byName);
    });
  const otherUser = identity === 'bob' ? 'alice' : 'bob';
  const keyPrefix = fc.oneof(
    { weight: 24, arbitrary: fc.constant(own) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        prefixOf(scope, otherUser), `${own.slice(0, -1)}2/`, own.slice(0, -1), own.toUpperCase(), 'shared/', 'users/', '', `/${own}`, `${own}../`, `${own}./`, `${own}a/../../${otherUser}/`,
        `./${own}`, `${own}%2e%2e/`, `${own}/`, 'teams/', prefixOf('user', identity), prefixOf('team_docs-2', identity),
      ),
    },
  );
  const segment = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom('a.jpg', 'dir', '\u7167\u7247.png', 'x*y', 'b c', 'a..b', '.hidden', 'a%2F..', 'q&a', 'x+y', '100%', 'v=1') },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '', '?acl', 'a?b', 'a\u2028b', '\ud800', 'a\u0000', 'a\tb', 'a\rb', '\u00a0') },
    { weight: 1, arbitrary: anyString(12) },
  );
  const key = fc.oneof(
    { weight: 40, arbitrary: fc.tuple(keyPrefix, fc.array(segment, { minLength: 1, maxLength: 3 })).map(([prefix, segments]) => prefix + segments.join('/')) },
    { weight: 1, arbitrary: fc.constant('') },
  );
  const bucket = fc.oneof({ weight: 24, arbitrary: fc.constant(BUCKET) }, { weight: 1, arbitrary: fc.constantFrom('other', 'Photos', '', 'photos ', 'photo', 'photos.evil') });
  const query = (base: string) =>
    fc.oneof(
      { weight: 16, arbitrary: fc.constant(base) },
      { weight: 1, arbitrary: fc.subarray(SUBRESOURCES, { maxLength: 3 }).map((parts) => [...parts].sort(byName).join('&')) },
      { weight: 1, arbitrary: fc.shuffledSubarray(SUBRESOURCES, { maxLength: 3 }).map((parts) => parts.join('&')) },
      { weight: tokenSubresources.length === 0 ? 0 : 2, arbitrary: tokenSubresources.length === 0 ? fc.constant(base) : fc.constantFrom(...tokenSubresources).map((entry) => [...(base === '' ? [] : base.split('&')), entry].sort(byName).join('&')) },
    );
  const mutation = fc.oneof(
    { weight: 60, arbitrary: fc.constant(['none', (text: string) => text] as const) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('\r', '\n', '\r\n', '\u2028', '\u0000', '\ud800', '\ufeff', '\u0085')).map(([at, char]) => [`insert ${JSON.stringify(char)}`, (text: string) => text.slice(0, at % (text.length + 1)) + char + text.slice(at % (text.length + 1))] as const) },
    { weight: 1, arbitrary: fc.nat().map((at) => ['duplicate a line', (text: string) => { const lines = text.split('\n'); lines.splice(at % lines.length, 0, lines[at % lines.length] ?? ''); return lines.join('\n'); }] as const) },
    { weight: 1, arbitrary: fc.nat().map((at) => ['drop a line', (text: string) => { const lines = text.split('\n'); lines.splice(at % lines.length, 1); return lines.join('\n'); }] as const) },
    { weight: 1, arbitrary: fc.constantFrom(
      ['second resource', (text: string) => `${text}\n/${BUCKET}/${prefixOf(scope, otherUser)}x`] as const,
      ['trailing line feed', (text: string) => `${text}\n`] as const,
      ['leading line feed', (text: string) => `\n${text}`] as const,
      ['CRLF', (text: string) => text.replaceAll('\n', '\r\n')] as const,
      ['BOM', (text: string) => `\ufeff${text}`] as const,
      ['oversize header', (text: string) => { const lines = text.split('\n'); lines.splice(4, 0, ...['a', 'b', 'c', 'd', 'e'].map((name) => `x-oss-meta-${name}:${'v'.repeat(1700)}`)); return lines.join('\n'); }] as const,
      ['oversize key', (text: string) => `${text}${'k'.repeat(8200)}`] as const,
      ['just under 8 KiB', (text: string) => { const lines = text.split('\n'); const room = 8192 - Buffer.byteLength(text) - 20; lines.splice(4, 0, `x-oss-meta-pad:${'p'.repeat(Math.max(1, Math.min(2048, room)))}`); return lines.join('\n'); }] as const,
      ['multi-byte over 8 KiB', (text: string) => `${text}${'\u7167'.repeat(2800)}`] as const,
    ) },
    { weight: 1, arbitrary: fc.nat().map((at) => ['truncate', (text: string) => text.slice(0, at % (text.length + 1))] as const) },
  );

  return fc
    .record({ template, verb, md5, contentType, date, headers, bucket, key, mutation, variant: fc.nat() })
    .chain((parts) => query(parts.template[1]).map((subresources) => ({ ...parts, subresources })))
    .map(({ template, verb, md5, contentType, date, headers, bucket, key, mutation, subresources }) => {
      const path = bucket === '' ? '/' : `/${bucket}/${key}`;
      const resource = subresources === '' ? path : `${path}?${subresources}`;
      const text = mutation[1]([verb ?? template[0], md5, contentType, date, ...headers, resource].join('\n'));
      return { text, mutations: [mutation[0]] };
    });
}

// ---------------------------------------------------------------------------------------------
// Whole FC events
// ---------------------------------------------------------------------------------------------

/** An event as FC could deliver it (a Buffer of JSON), or as some caller of the handler might (a string, an object). */
export interface EventCase {
  readonly fn: FunctionName;
  readonly event: unknown;
  readonly describe: string;
}

const headerValueOfWrongType = notAString;
export const mixed = memo((name: string) => fc.mixedCase(fc.constant(name)));
const contentTypeName = mixed('content-type');

const authorizationEntriesOf = new WeakMap<World, (identity: string) => fc.Arbitrary<readonly (readonly [string, unknown])[]>>();

/** The Authorization header entries: a valid token (any case of the name), none, garbage, or duplicates differing only in case. */
function authorizationEntries(world: World, identity: string): fc.Arbitrary<readonly (readonly [string, unknown])[]> {
  let of = authorizationEntriesOf.get(world);
  if (of === undefined) {
    of = memo((who: string) => makeAuthorizationEntries(world, who));
    authorizationEntriesOf.set(world, of);
  }
  return of(identity);
}

function makeAuthorizationEntries(world: World, identity: string): fc.Arbitrary<readonly (readonly [string, unknown])[]> {
  const token = `Bearer ${world.tokenFor(identity)}`;
  const other = `Bearer ${world.tokenFor(identity === 'bob' ? 'alice' : 'bob')}`;
  const twoNames = fc.tuple(mixed('authorization'), mixed('authorization')).map(([a, b]) => (a === b ? [a, a === 'authorization' ? 'Authorization' : 'authorization'] as const : [a, b] as const));
  return fc.oneof(
    { weight: 14, arbitrary: mixed('authorization').map((name) => [[name, token]] as const) },
    { weight: 1, arbitrary: fc.constant([] as const) },
    { weight: 1, arbitrary: fc.tuple(mixed('authorization'), fc.oneof(anyString(60), fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${world.tokenFor(identity).split('.').slice(0, 2).join('.')}`))).map(([name, value]) => [[name, value]] as const) },
    {
      weight: 3,
      arbitrary: fc.tuple(twoNames, fc.oneof(anyString(40), fc.constantFrom('', token, other, 'Bearer', ' ', ',', token.toLowerCase())), fc.boolean()).map(([[first, second], garbage, validFirst]) =>
        (validFirst ? [[first, token], [second, garbage]] : [[first, garbage], [second, token]]) as readonly (readonly [string, unknown])[],
      ),
    },
    { weight: 1, arbitrary: fc.tuple(mixed('authorization'), headerValueOfWrongType).map(([name, value]) => [[name, value]] as const) },
  );
}

interface BodyChoice {
  readonly body?: unknown;
  readonly isBase64Encoded?: unknown;
  readonly contentType?: string;
}

/** Encodes a body as FC does (plain or base64), or breaks the encoding. */
function encodedBody(text: string | Buffer, maxBodyBytes: number): fc.Arbitrary<BodyChoice> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const base64 = bytes.toString('base64');
  const plain = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant<BodyChoice>({ body: plain, isBase64Encoded: false }) },
    { weight: 2, arbitrary: fc.constant<BodyChoice>({ body: plain }) },
    { weight: 4, arbitrary: fc.constant<BodyChoice>({ body: base64, isBase64Encoded: true }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<BodyChoice>(
        { body: base64.replace(/=+$/, ''), isBase64Encoded: true },
        { body: `${base64.replace(/=+$/, '')}A`, isBase64Encoded: true },
        { body: `${base64.replace(/=+$/, '')}=`, isBase64Encoded: true },
        { body: base64.endsWith('==') ? `${base64.slice(0, -3)}${base64.at(-3) === 'A' ? 'B' : 'A'}==` : `${base64}Q==`, isBase64Encoded: true },
        { body: bytes.toString('base64url'), isBase64Encoded: true },
        { body: base64.replace(/(.{8})/g, '$1\n'), isBase64Encoded: true },
        { body: `${base64}!`, isBase64Encoded: true },
        { body: `=${base64}`, isBase64Encoded: true },
        { body: `${base64}===`, isBase64Encoded: true },
        { body: '!!!', isBase64Encoded: true },
        { body: base64, isBase64Encoded: 'true' },
        { body: base64, isBase64Encoded: 1 },
        { body: base64 },
        { body: plain, isBase64Encoded: 'false' },
        { body: plain, isBase64Encoded: null },
        { body: 'A'.repeat(Math.ceil(((maxBodyBytes + 3) * 4) / 3) + 4), isBase64Encoded: true },
        { body: `${'A'.repeat(Math.ceil(((maxBodyBytes + 3) * 4) / 3) + 4)}!`, isBase64Encoded: true },
      ),
    },
    { weight: 1, arbitrary: notAString.map<BodyChoice>((body) => ({ body, isBase64Encoded: false })) },
  );
}

/** A JSON body padded with spaces to exactly `size` bytes (when it fits). */
const padded = (json: string, size: number): string => (json.length >= size ? json : `${json.slice(0, -1)}${' '.repeat(size - json.length)}}`);

const vendTokenBody = memo((scope: ScopeName) => makeVendTokenBody(scope));

function makeVendTokenBody(scope: ScopeName): fc.Arbitrary<BodyChoice> {
  const jsonType = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON', ' application/json ') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', '', 'application/json, text/plain', 'application/jsonp', 'application/x-www-form-urlencoded') });
  const text = fc.oneof(
    { weight: 6, arbitrary: fc.constant(JSON.stringify({ scope })) },
    { weight: 1, arbitrary: configuredScope.map((other) => JSON.stringify({ scope: other })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: anyString(60) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((delta) => padded(JSON.stringify({ scope }), 4096 + delta)) },
    { weight: 1, arbitrary: fc.constantFrom(`"${'\u00e9'.repeat(2100)}"`, `{"scope":"user","pad":"${'x'.repeat(5000)}"}`, '{"scope":"user","scope":"shared"}', '{"\\u0073cope":"shared"}', '\ufeff{"scope":"user"}', '{"scope":"user"}x') },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant<BodyChoice>({}) },
    { weight: 6, arbitrary: fc.tuple(text, jsonType).chain(([body, contentType]) => encodedBody(body, 4096).map((choice) => ({ ...choice, contentType }))) },
  );
}

const signRequestBodiesOf = new WeakMap<World, (key: string) => fc.Arbitrary<BodyChoice>>();

function signRequestBody(world: World, identity: string, scope: ScopeName, variant: number): fc.Arbitrary<BodyChoice> {
  let of = signRequestBodiesOf.get(world);
  if (of === undefined) {
    of = memo((key: string) => {
      const [who = '', which = 'user', kind = '0'] = key.split('\n');
      return makeSignRequestBody(world, who, which as ScopeName, Number(kind));
    });
    signRequestBodiesOf.set(world, of);
  }
  return of(`${identity}\n${scope}\n${variant % 4}`);
}

function makeSignRequestBody(world: World, identity: string, scope: ScopeName, variant: number): fc.Arbitrary<BodyChoice> {
  const content = validContent(identity, scope, world.now, variant);
  const textType = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'TEXT/PLAIN') }, { weight: 1, arbitrary: fc.constantFrom('', 'application/xml', 'text/html', 'text/plain, application/json') });
  const jsonType = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') }, { weight: 1, arbitrary: fc.constantFrom('application/json, text/plain', 'application/x-www-form-urlencoded', 'text/json') });
  const json = fc.oneof(
    { weight: 8, arbitrary: fc.constant(JSON.stringify({ stringToSign: content, scope })) },
    { weight: 2, arbitrary: fc.constant(JSON.stringify({ stringToSign: content })) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((delta) => padded(JSON.stringify({ stringToSign: content, scope }), 20 * 1024 + delta)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constant(content), textType).chain(([body, contentType]) => encodedBody(body, 20 * 1024).map((choice) => ({ ...choice, contentType }))) },
    { weight: 6, arbitrary: fc.tuple(json, jsonType).chain(([body, contentType]) => encodedBody(body, 20 * 1024).map((choice) => ({ ...choice, contentType }))) },
    { weight: 1, arbitrary: fc.constant<BodyChoice>({}) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ body: Buffer.from([0xff, 0xc0, 0x80, ...bytes, 0xed, 0xa0, 0x80]).toString('base64'), isBase64Encoded: true, contentType: 'text/plain' })) },
  );
}

/** Whole FC events for `fn`: a valid request most of the time, each part sometimes missing, mistyped or hostile. */
export function eventCase(world: World, fn: FunctionName): fc.Arbitrary<EventCase> {
  const method = fc.oneof(
    { weight: 20, arbitrary: fn === 'vend-token' ? fc.constantFrom('GET', 'POST') : fc.constant('POST') },
    { weight: 1, arbitrary: fc.constant('OPTIONS') },
    { weight: 1, arbitrary: fc.constantFrom('DELETE', 'PUT', 'HEAD', 'PATCH', 'TRACE', 'CONNECT', 'GET', 'PROPFIND', 'ABCDEFGHIJKLMNOP') },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('get', '', 'G E T', 'GET ', 'ABCDEFGHIJKLMNOPQ', 'POST\n', 'P\u00d6ST'), notAString) },
  );
  const requestContext = (methodValue: unknown) =>
    fc.oneof(
      { weight: 30, arbitrary: fc.constant<unknown>({ accountId: '1234567890123456', requestId: 'event-request-id', http: { method: methodValue, path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' } }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 'GET', [], 42, {}, { http: null }, { http: 'GET' }, { http: [] }, { http: {} }, { http: { method: [methodValue] } }, { HTTP: { method: methodValue } }) },
    );
  const queryField = memo((scope: ScopeName) => {
    const query = fc.oneof(
      { weight: 4, arbitrary: fc.constant<Record<string, unknown>>({}) },
      { weight: 8, arbitrary: fc.constant<Record<string, unknown>>({ scope }) },
      { weight: 1, arbitrary: configuredScope.map<Record<string, unknown>>((other) => ({ scope: other })) },
      { weight: 1, arbitrary: fc.constantFrom<Record<string, unknown>>({ scope: '' }, { Scope: 'admin', scope }, { SCOPE: 'x', scope }, { scope, other: 'x' }, JSON.parse(`{"__proto__":"x","scope":"${scope}"}`) as Record<string, unknown>, { 'scope[]': 'admin' }) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('scope', 'other'), notAString).map(([name, value]) => ({ [name]: value })) },
    );
    return fc.oneof({ weight: 20, arbitrary: query.map((value) => ({ queryParameters: value as unknown })) }, { weight: 1, arbitrary: fc.constantFrom<Record<string, unknown>>({}, { queryParameters: null }, { queryParameters: 'scope=admin' }, { queryParameters: [['scope', 'admin']] }, { queryParameters: 7 }) });
  });
  const extraHeaders = fc.oneof(
    { weight: 6, arbitrary: fc.constant<readonly (readonly [string, unknown])[]>([]) },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 16 }), fc.string({ maxLength: 30 }), { maxKeys: 3 }).map((headers) => Object.entries(headers)) },
    { weight: 2, arbitrary: fc.constantFrom<readonly (readonly [string, unknown])[]>([['origin', ORIGIN]], [['Origin', 'https://evil.example']], [['ORIGIN', `${ORIGIN},https://evil.example`]], [['x-forwarded-for', '1.2.3.4, 5.6.7.8']], [['x-oss-security-token', 'CAISmine']]) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), headerValueOfWrongType).map(([name, value]) => [[name, value]] as const) },
  );
  const extraTop = fc.oneof({ weight: 10, arbitrary: fc.constant<Record<string, unknown>>({}) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }) });
  const headersShape = fc.oneof({ weight: 30, arbitrary: fc.constant('object') }, { weight: 1, arbitrary: fc.constantFrom('missing', 'null', 'array', 'string', 'number') });
  const encoding = fc.oneof({ weight: 8, arbitrary: fc.constant('buffer') }, { weight: 1, arbitrary: fc.constantFrom('string', 'object') });

  return fc
    .record({ identity: poolIdentity, scope: configuredScope, variant: fc.nat(), method, extraHeaders, extraTop, headersShape, encoding, path: fc.oneof(fc.constant('/'), fc.string({ maxLength: 20 })) })
    .chain((parts) =>
      fc.record({
        parts: fc.constant(parts),
        authorization: authorizationEntries(world, parts.identity),
        requestContext: requestContext(parts.method),
        queryField: queryField(parts.scope),
        body: fn === 'vend-token' ? vendTokenBody(parts.scope) : signRequestBody(world, parts.identity, parts.scope, parts.variant),
        contentTypeName,
      }),
    )
    .map(({ parts, authorization, requestContext: context, queryField: query, body, contentTypeName }) => {
      const entries: (readonly [string, unknown])[] = [...authorization];
      if (body.contentType !== undefined) entries.push([contentTypeName, body.contentType]);
      entries.push(...parts.extraHeaders);
      const headerObject = Object.fromEntries(entries);
      const headers = { object: headerObject, missing: undefined, null: null, array: entries, string: 'authorization: Bearer x', number: 1 }[parts.headersShape];
      const event: Record<string, unknown> = {
        version: 'v1',
        rawPath: parts.path,
        ...(parts.headersShape === 'missing' ? {} : { headers }),
        ...query,
        ...('body' in body ? { body: body.body } : {}),
        ...('isBase64Encoded' in body ? { isBase64Encoded: body.isBase64Encoded } : {}),
        ...(context === undefined ? {} : { requestContext: context }),
        ...parts.extraTop,
      };
      const json = JSON.stringify(event);
      const delivered = parts.encoding === 'object' ? (JSON.parse(json) as unknown) : parts.encoding === 'string' ? json : Buffer.from(json);
      return { fn, event: delivered, describe: `${parts.encoding} ${json}` };
    });
}

/** Events that are not HTTP events at all: random bytes, random strings, random JSON values and objects. */
export const junkEvent: fc.Arbitrary<{ readonly fn: FunctionName; readonly event: unknown; readonly describe: string }> = fc
  .tuple(
    fc.constantFrom(...FUNCTIONS),
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes) as unknown),
      anyString(200).map((text) => Buffer.from(text) as unknown),
      fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null') as unknown),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) as unknown),
      fc.anything({ maxDepth: 3 }),
      fc.constantFrom<unknown>(undefined, null, 0, '', Buffer.alloc(0), [], {}, Buffer.alloc(1024 * 1024 + 1, 0x20), ' '.repeat(1024 * 1024 + 1), Buffer.from(JSON.stringify({ headers: { 'x-pad': 'p'.repeat(1024 * 1024) }, requestContext: { http: { method: 'GET' } } })), Buffer.from('{'), Buffer.from('null'), Buffer.from('[]'), Buffer.from(`${'['.repeat(3000)}${']'.repeat(3000)}`), Buffer.from('{"requestContext":{"http":{"method":"GET"}},"headers":{"a":1}}'.replace('"a":1', '"a":"1"')).subarray(0, 40)),
    ),
  )
  .map(([fn, event]) => ({ fn, event, describe: Buffer.isBuffer(event) ? `buffer ${event.toString('latin1').slice(0, 300)}` : `${typeof event} ${safeStringify(event)}` }));

function safeStringify(value: unknown): string {
  try {
    return String(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item))).slice(0, 300);
  } catch {
    return String(value);
  }
}
