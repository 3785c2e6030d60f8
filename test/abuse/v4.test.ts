/**
 * Abuse: the V4 request shapes through the real sign-request handler (scoped credentials).
 * RemoteSignerV4 maps are built as the Kotlin/Swift v2 SDKs build them, with ali-oss's V4 functions,
 * for random keys, verbs, headers and query parameters, then mutated: other users' keys and
 * buckets, dot segments, other regions, products and days, timestamps outside the skew, broken
 * strings to sign, stale AccessKeyIds, missing and extra fields. A map is signed only when the
 * independent oracle accepts it, and then with the caller's own scoped credentials, exactly as
 * ali-oss's getSignatureV4 signs it with the secret STS issued. Canonical requests are written by
 * ali-oss's getCanonicalRequest (header-signed, or presigned as its signatureUrlV4 does) for random
 * keys, verbs, sub-resources, headers, times and tokens, some with their text broken; one is signed
 * only when an oracle deciding from what the test built accepts it, and then exactly as ali-oss
 * signs it, with the Authorization value ali-oss would write.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { bearer, httpEvent } from '../helpers/fc-events';
import { GRANTS, HARMLESS_HEADERS, operationOf } from './oracle';
import { type BuiltCanonical, type V4Caller, canonicalVerdict, hashOnlyVerdict } from './oracle-v4';
import { BUCKET, POOL, SCOPES, SCOPE_NAMES, type ScopeName, Tally, type World, aliOssV4, checkResponse, invoke, prefixOf, refuse, useWorld } from './world';

const world = useWorld();
const RUNS = { numRuns: 10_000 };
const REGION = 'cn-hangzhou';

const v4Timestamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

/** The caller's current signing credentials, as a signing session would name them. */
function callerOf(w: World, identity: string, scope: ScopeName): V4Caller & { readonly securityToken: string } {
  const securityToken = w.currentToken(identity, scope) ?? '';
  const record = w.sts.records.find((candidate) => candidate.issued.securityToken === securityToken);
  return { identity, scope, accessKeyId: record?.issued.accessKeyId ?? '', securityToken };
}

/** Key segments of every kind the SDKs send: ASCII, spaces, `+`, `%`, unicode, `?`, `#`. */
const segment = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((text) => !text.includes('/') && !/[\u0000-\u001f\u007f]/.test(text) && text.isWellFormed()) },
  { weight: 1, arbitrary: fc.constantFrom('a b', 'a+b', '100%', 'what?.txt', '#1', '照片', '..', '.', '~x', "it's", '(1)') },
);
const keyTail = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));
const verb = fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE');
const queryValue = fc.oneof(fc.constant(null), fc.stringMatching(/^[A-Za-z0-9 /+=_.-]{1,12}$/));
const queries = fc.dictionary(fc.constantFrom('uploadId', 'partNumber', 'uploads', 'acl', 'response-content-type', 'x-oss-process', 'versionId', 'prefix'), queryValue, { maxKeys: 2 });
const headers = fc.dictionary(fc.constantFrom('x-oss-meta-a', 'x-oss-meta-owner', 'x-oss-object-acl', 'x-oss-callback', 'content-md5', 'x-oss-traffic-limit'), fc.stringMatching(/^[A-Za-z0-9=+/]{1,16}$/), { maxKeys: 2 });

type Mutation = (map: Record<string, unknown>, caller: V4Caller) => Record<string, unknown>;
const replaceLine = (map: Record<string, unknown>, index: number, value: string): Record<string, unknown> => {
  const lines = String(map['stringToSign']).split('\n');
  lines[index] = value;
  return { ...map, stringToSign: lines.join('\n') };
};
const MUTATIONS: Readonly<Record<string, Mutation>> = {
  otherUser: (map) => ({ ...map, key: `users/bob-not-you/${String(map['key']).split('/').pop()}` }),
  siblingPrefix: (map, caller) => ({ ...map, key: String(map['key']).replace(prefixOf(caller.scope, caller.identity), `${prefixOf(caller.scope, caller.identity).slice(0, -1)}2/`) }),
  dotSegment: (map, caller) => ({ ...map, key: `${prefixOf(caller.scope, caller.identity)}../x` }),
  noKey: (map) => ({ ...map, key: '' }),
  otherBucket: (map) => ({ ...map, bucket: 'other-bucket' }),
  noBucket: (map) => ({ ...map, bucket: '' }),
  patch: (map) => ({ ...map, method: 'PATCH' }),
  lowercaseVerb: (map) => ({ ...map, method: String(map['method']).toLowerCase() }),
  mapRegion: (map) => ({ ...map, region: 'cn-beijing' }),
  scopeRegion: (map) => replaceLine(map, 2, String(map['stringToSign']).split('\n')[2]?.replace(REGION, 'cn-shanghai') ?? ''),
  mapProduct: (map) => ({ ...map, product: 'oss-cloudbox' }),
  scopeProduct: (map) => replaceLine(map, 2, String(map['stringToSign']).split('\n')[2]?.replace('/oss/', '/sts/') ?? ''),
  mapDate: (map) => ({ ...map, date: '20200229' }),
  scopeDate: (map) => replaceLine(map, 2, `20200229${String(map['stringToSign']).split('\n')[2]?.slice(8)}`),
  noTerminator: (map) => replaceLine(map, 2, String(map['stringToSign']).split('\n')[2]?.replace('aliyun_v4_request', 'aws4_request') ?? ''),
  badTimestamp: (map) => replaceLine(map, 1, '20241301T000000Z'),
  upperHash: (map) => replaceLine(map, 3, (String(map['stringToSign']).split('\n')[3] ?? '').toUpperCase()),
  shortHash: (map) => replaceLine(map, 3, (String(map['stringToSign']).split('\n')[3] ?? '').slice(1)),
  extraLine: (map) => ({ ...map, stringToSign: `${String(map['stringToSign'])}\n` }),
  crlf: (map) => ({ ...map, stringToSign: String(map['stringToSign']).replaceAll('\n', '\r\n') }),
  otherAlgorithm: (map) => replaceLine(map, 0, 'OSS4-HMAC-SHA1'),
  staleKey: (map) => ({ ...map, accessKeyId: 'STS.stale-credentials' }),
  dropField: (map) => {
    const { accessKeyId: _dropped, ...rest } = map;
    return rest;
  },
  extraField: (map) => ({ ...map, securityToken: 'CAIS' }),
  numberField: (map) => ({ ...map, date: 20240101 }),
};

interface MapCase {
  readonly identity: string;
  readonly scope: ScopeName;
  readonly body: Record<string, unknown>;
  readonly inQuery: boolean;
  readonly mutations: readonly string[];
}

/** A RemoteSignerV4 map as the SDK builds it for a random request of the caller, then mutated. */
function mapCase(w: World): fc.Arbitrary<MapCase> {
  const offset = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -SKEW(), max: SKEW() }) }, { weight: 1, arbitrary: fc.constantFrom(-SKEW() - 1000, SKEW() + 1000, -86_400_000, 3_600_000) });
  return fc
    .record({
      identity: fc.constantFrom(...POOL),
      scope: fc.constantFrom(...SCOPE_NAMES),
      method: verb,
      tail: keyTail,
      queries,
      headers,
      offset,
      mutations: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 4, arbitrary: fc.subarray(Object.keys(MUTATIONS), { minLength: 1, maxLength: 2 }) }),
      inQuery: fc.boolean(),
    })
    .map(({ identity, scope, method, tail, queries: query, headers: extra, offset: skew, mutations, inQuery }) => {
      const caller = callerOf(w, identity, scope);
      const timestamp = v4Timestamp(w.now + Math.trunc(skew / 1000) * 1000);
      const key = `${prefixOf(scope, identity)}${tail}`;
      const signedHeaders = { ...extra, 'x-oss-date': timestamp, 'x-oss-security-token': caller.securityToken, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      const canonicalRequest = aliOssV4.getCanonicalRequest(method, { headers: signedHeaders, queries: query }, BUCKET, key);
      let body: Record<string, unknown> = {
        version: 'v4', method, bucket: BUCKET, key, stringToSign: aliOssV4.getStringToSign(REGION, timestamp, canonicalRequest), region: REGION, product: 'oss', date: timestamp.slice(0, 8), accessKeyId: caller.accessKeyId,
        ...(inQuery ? {} : { scope }),
      };
      for (const name of mutations) body = (MUTATIONS[name] as Mutation)(body, caller);
      return { identity, scope, body, inQuery, mutations };
    });
}

function SKEW(): number {
  return 300_000;
}

it('signs a RemoteSignerV4 map exactly when the rules allow, with the caller\'s own credentials, as ali-oss signs it', async () => {
  // Prepare
  const w = world();
  const tally = new Tally();

  // Act + Assess
  await fc.assert(
    fc.asyncProperty(mapCase(w), async ({ identity, scope, body, inQuery, mutations }) => {
      const caller = callerOf(w, identity, scope);
      const event = httpEvent({ method: 'POST', headers: { ...bearer(w.tokenFor(identity)), 'Content-Type': 'application/json' }, query: inQuery ? { scope } : {}, body: JSON.stringify(body) });
      const decided = hashOnlyVerdict(body, caller, w.now);
      const verdict = 'codes' in decided ? refuse(...decided.codes) : { kind: 'accept' as const, identity, scope, v4: decided };
      const response = await invoke(w.handlers['sign-request'], event, w.context);
      tally.add(checkResponse(w, 'sign-request', response, verdict, () => `${mutations.join(',')} ${JSON.stringify(body)}`));
    }),
    RUNS,
  );

  // Not vacuous: a healthy share is signed, and every kind of refusal occurs.
  expect(tally.get('200')).toBeGreaterThan(2500);
  for (const code of ['MalformedRequest', 'MalformedStringToSign', 'VerbNotAllowed', 'RegionNotAllowed', 'ProductNotAllowed', 'CredentialScopeMismatch', 'DateOutOfRange', 'ResourceNotAllowed', 'BucketNotAllowed', 'ListingNotSignable', 'KeyNotAllowed', 'SecurityTokenMismatch']) {
    expect(tally.get(code), `${code} in ${tally}`).toBeGreaterThan(20);
  }
}, 120_000);

// ---------------------------------------------------------------------------------------------
// Canonical requests
// ---------------------------------------------------------------------------------------------

const QUERY_NAMES = ['acl', 'append', 'delimiter', 'list-type', 'max-keys', 'objectMeta', 'partNumber', 'position', 'prefix', 'response-content-type', 'security-token', 'sequential', 'uploadId', 'uploads', 'versionId', 'x-oss-process'];
const queryValues = fc.oneof(fc.constant(null), fc.constantFrom('1', '2', '100', 'abc_-9', '0', '/', 'image/png', '1001'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((text) => text.isWellFormed() && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)));
const HEADER_VALUES: Readonly<Record<string, fc.Arbitrary<string>>> = {
  'content-type': fc.constantFrom('image/jpeg', 'text/plain; charset=utf-8'),
  'content-md5': fc.constant('1B2M2Y8AsgTpgAmY7PhCfg=='),
  host: fc.constant('photos.oss-cn-hangzhou.aliyuncs.com'),
  'x-oss-meta-a': fc.stringMatching(/^[A-Za-z0-9 =+/]{0,12}[A-Za-z0-9]$/),
  'x-oss-traffic-limit': fc.constant('819200'),
  'x-oss-forbid-overwrite': fc.constant('true'),
  'x-oss-object-acl': fc.constant('public-read'),
  'x-oss-callback': fc.constant('eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9ldmlsIn0='),
  'x-oss-storage-class': fc.constant('Archive'),
  'x-oss-tagging': fc.constant('a=b'),
};
const BREAKS: Readonly<Record<string, (text: string) => string>> = {
  crlf: (text) => text.replaceAll('\n', '\r\n'),
  rawSpace: (text) => text.replace(/^([A-Z]+\n\/[^\n]*)/, '$1 x'),
  lowercaseHex: (text) => text.replace(/^([A-Z]+\n\/[^\n]*)$/m, '$1%2b'),
  noEmptyLine: (text) => text.replace(/\n\n([^\n]*\n[^\n]*)$/, '\n$1'),
  badPayload: (text) => text.replace(/UNSIGNED-PAYLOAD$/, 'UNSIGNED'),
  upperHeader: (text) => text.replace('\nx-oss-content-sha256:', '\nX-OSS-Content-Sha256:'),
  trailingLine: (text) => `${text}\n`,
};

interface CanonicalCase {
  readonly identity: string;
  readonly scope: ScopeName;
  readonly built: BuiltCanonical;
  readonly canonicalRequest: string;
  readonly timestamp: string;
  readonly additionalHeaders: readonly string[];
}

function canonicalCase(w: World): fc.Arbitrary<CanonicalCase> {
  const offset = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -290, max: 290 }).map((seconds) => seconds * 1000) }, { weight: 1, arbitrary: fc.constantFrom(-301_000, 301_000, -86_400_000) });
  const presigned = fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.record({ expiresSeconds: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 1500 }) }, { weight: 1, arbitrary: fc.constantFrom(1800, 1801, 3600, 604_800) }), region: fc.oneof({ weight: 9, arbitrary: fc.constant(REGION) }, { weight: 1, arbitrary: fc.constant('cn-beijing') }), staleAccessKeyId: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }) });
  return fc
    .record({
      identity: fc.constantFrom(...POOL),
      scope: fc.constantFrom(...SCOPE_NAMES),
      verb: fc.oneof({ weight: 12, arbitrary: verb }, { weight: 3, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constant('PATCH') }),
      where: fc.oneof({ weight: 16, arbitrary: fc.constant('own') }, { weight: 3, arbitrary: fc.constant('bucket') }, { weight: 1, arbitrary: fc.constantFrom('other', 'dots', 'otherBucket') }),
      tail: keyTail,
      query: fc.oneof({ weight: 6, arbitrary: fc.constant<Record<string, string | null>>({}) }, { weight: 2, arbitrary: fc.constantFrom<Record<string, string | null>>({ uploads: null }, { partNumber: '3', uploadId: 'abc_-9' }, { uploadId: 'abc' }, { 'response-content-type': 'image/png' }, { 'max-keys': '100', 'list-type': '2' }, { delimiter: '/' }) }, { weight: 3, arbitrary: fc.dictionary(fc.constantFrom(...QUERY_NAMES), queryValues, { maxKeys: 2 }) }),
      listPrefix: fc.constantFrom('own', 'own', 'other', 'none'),
      headerNames: fc.oneof({ weight: 3, arbitrary: fc.subarray(['content-type', 'content-md5', 'host', 'x-oss-meta-a', 'x-oss-traffic-limit', 'x-oss-forbid-overwrite'], { maxLength: 3 }) }, { weight: 1, arbitrary: fc.subarray(Object.keys(HEADER_VALUES), { maxLength: 2 }) }),
      headerValues: fc.record(HEADER_VALUES),
      offset,
      presigned,
      token: fc.constantFrom<BuiltCanonical['token']>('current', 'current', 'current', 'current', 'current', 'current', 'current', 'other', 'none'),
      broken: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...Object.keys(BREAKS)) }),
    })
    .map(({ identity, scope, verb: method, where, tail, query: drawn, listPrefix, headerNames, headerValues, offset: offsetMs, presigned: url, token, broken }) => {
      const caller = callerOf(w, identity, scope);
      const own = prefixOf(scope, identity);
      const bucket = where === 'otherBucket' ? 'other-bucket' : BUCKET;
      const key = where === 'bucket' ? '' : where === 'other' ? `users/not-${identity}/${tail}` : where === 'dots' ? `${own}../${tail}` : `${own}${tail}`;
      const query = { ...drawn };
      if (key === '' && method === 'GET' && listPrefix !== 'none') query['prefix'] = listPrefix === 'own' ? `${own}${tail.split('/')[0]}` : 'users/';
      const headers: Record<string, string> = Object.fromEntries(headerNames.map((name) => [name, headerValues[name as keyof typeof headerValues] as string]));
      const additionalHeaders = 'host' in headers ? ['host'] : [];
      const timestamp = v4Timestamp(w.now + offsetMs);
      const tokenValue = token === 'current' ? caller.securityToken : 'CAISanother-token';
      let canonicalRequest: string;
      if (url === null) {
        const signed = { ...headers, 'x-oss-date': timestamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', ...(token === 'none' ? {} : { 'x-oss-security-token': tokenValue }) };
        canonicalRequest = aliOssV4.getCanonicalRequest(method, { headers: signed, queries: query }, bucket, key, additionalHeaders);
      } else {
        const accessKeyId = url.staleAccessKeyId ? 'STS.renewed-since' : caller.accessKeyId;
        const queries: Record<string, string | null> = {
          ...query,
          ...(additionalHeaders.length > 0 ? { 'x-oss-additional-headers': additionalHeaders.join(';') } : {}),
          'x-oss-credential': `${accessKeyId}/${timestamp.slice(0, 8)}/${url.region}/oss/aliyun_v4_request`,
          'x-oss-date': timestamp,
          'x-oss-expires': String(url.expiresSeconds),
          'x-oss-signature-version': 'OSS4-HMAC-SHA256',
          ...(token === 'none' ? {} : { 'x-oss-security-token': tokenValue }),
        };
        canonicalRequest = aliOssV4.getCanonicalRequest(method, { headers, queries }, bucket, key, additionalHeaders);
      }
      const text = broken === null ? canonicalRequest : (BREAKS[broken] as (text: string) => string)(canonicalRequest);
      const built: BuiltCanonical = { verb: method, bucket, key, query, headers, offsetMs, token, ...(url === null ? {} : { presigned: url }), ...(broken === null || text === canonicalRequest ? {} : { broken }) };
      return { identity, scope, built, canonicalRequest: text, timestamp, additionalHeaders };
    });
}

it('signs a canonical request exactly when the rules allow, with the caller\'s own credentials, as ali-oss signs and writes it', async () => {
  // Prepare
  const w = world();
  const tally = new Tally();
  const rules = { harmlessHeaders: [...HARMLESS_HEADERS, 'x-oss-content-sha256'], grants: GRANTS, operationOf };

  // Act + Assess
  await fc.assert(
    fc.asyncProperty(canonicalCase(w), fc.boolean(), async ({ identity, scope, built, canonicalRequest, timestamp, additionalHeaders }, inQuery) => {
      const body = { version: 'v4', canonicalRequest, ...(inQuery ? {} : { scope }) };
      const event = httpEvent({ method: 'POST', headers: { ...bearer(w.tokenFor(identity)), 'Content-Type': 'application/json' }, query: inQuery ? { scope } : {}, body: JSON.stringify(body) });
      const decided = canonicalVerdict(built, { identity, scope }, w.now, { ...rules, actions: SCOPES[scope].actions });
      const verdict = decided === 'sign'
        ? { kind: 'accept' as const, identity, scope, v4: { stringToSign: aliOssV4.getStringToSign(REGION, timestamp, canonicalRequest), date: timestamp.slice(0, 8), authorization: { additionalHeaders } } }
        : refuse(...decided.codes);
      const response = await invoke(w.handlers['sign-request'], event, w.context);
      const outcome = checkResponse(w, 'sign-request', response, verdict, () => `${JSON.stringify(built)}\n${JSON.stringify(canonicalRequest)}`);
      tally.add(outcome);
      if (outcome === '200' && built.presigned !== undefined) tally.add('200 presigned');
      if (outcome === '200' && built.key === '') tally.add('200 listing');
    }),
    RUNS,
  );

  // Not vacuous: a healthy share is signed (listings and presigned URLs among them), and every kind of refusal occurs.
  expect(tally.get('200'), String(tally)).toBeGreaterThan(1000);
  expect(tally.get('200 presigned'), String(tally)).toBeGreaterThan(200);
  expect(tally.get('200 listing'), String(tally)).toBeGreaterThan(5);
  for (const code of ['MalformedStringToSign', 'VerbNotAllowed', 'RegionNotAllowed', 'DateOutOfRange', 'HeaderNotAllowed', 'ResourceNotAllowed', 'BucketNotAllowed', 'ListingNotSignable', 'KeyNotAllowed', 'SubResourceNotAllowed', 'OperationNotAllowed', 'SecurityTokenMismatch']) {
    expect(tally.get(code), `${code} in ${tally}`).toBeGreaterThan(20);
  }
}, 120_000);
