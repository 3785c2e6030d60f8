/**
 * `?` in V1 resources. OSS writes a V1 resource as the raw key, then `?` and the sub-resources of
 * its list, so a key that holds `?` can make one resource line stand for several requests. ali-oss
 * builds the string to sign of random (key, sub-resources) requests, keys and values full of `?`,
 * `&` and `=`; whenever the parser and the rules sign one, OSS can read it only as the request that
 * was authorized (or as that key with its sub-resources written into it, which the rules bound
 * too), never with sub-resources smuggled past them.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TvmError } from '../../shared/errors';
import { buildSessionPolicy } from '../../shared/policy/session-policy';
import { type SigningRules, authorizeStringToSign } from '../../shared/signing/authorize-signing';
import { isOssSubresource } from '../../shared/signing/oss-subresources';
import { parseStringToSign } from '../../shared/signing/string-to-sign';
import { oftenBe } from '../helpers/often';

/** ali-oss 6.23's V1 `buildCanonicalString` (`lib/common/signUtils.js`): how the SDKs write the string to sign. */
const aliOss = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as {
  buildCanonicalString(method: string, resourcePath: string, request: { headers: Record<string, string>; parameters?: Record<string, string | null> }, expires?: string): string;
};

const NOW = Date.UTC(2024, 10, 27, 6, 40, 30);
const DATE = new Date(NOW).toUTCString();
const RULES: SigningRules = {
  bucket: 'photos',
  prefix: 'users/alice/',
  policy: buildSessionPolicy({ bucket: 'photos', scope: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete'] }, identity: 'alice', identityClaim: 'sub' }).document,
  now: NOW,
  maxSkewSeconds: 300,
  maxUrlTtlSeconds: 3600,
  extraHeaders: [],
  upload: undefined,
};

/** The V1 string to sign of a request, as ali-oss writes it: only OSS's sub-resources enter the resource. */
function stringToSign(verb: string, key: string, query: Readonly<Record<string, string | null>>): string {
  const parameters = Object.fromEntries(Object.entries(query).filter(([name]) => isOssSubresource(name)));
  return aliOss.buildCanonicalString(verb, `/photos/${key}`, { headers: {}, parameters }, DATE);
}

/** Every request OSS could have built a resource line from: a "?" followed by its sorted sub-resources, or none at all. */
function ossReadings(resource: string): { key: string; subresources: string }[] {
  const readings = [{ key: resource, subresources: '' }];
  for (let at = resource.indexOf('?'); at !== -1; at = resource.indexOf('?', at + 1)) {
    const text = resource.slice(at + 1);
    const names = text.split('&').map((part) => part.split('=')[0] ?? '');
    if (names.every((name, index) => isOssSubresource(name) && (index === 0 || (names[index - 1] ?? '') < name))) readings.push({ key: resource.slice(0, at), subresources: text });
  }
  return readings;
}

const written = (subresources: readonly (readonly [string, string | undefined])[]) => subresources.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&');

/** What signing does: the operation and the key it authorized, or the refusal's code. */
function attempt(text: string): { operation: string; key: string; subresources: string } | { code: string } {
  try {
    const parsed = parseStringToSign(text);
    const { operation } = authorizeStringToSign(parsed, RULES);
    return { operation, key: parsed.key, subresources: written(parsed.subresources) };
  } catch (error) {
    if (error instanceof TvmError) return { code: error.code };
    throw error;
  }
}

const tricky = fc.constantFrom('?', '?acl', '?uploads', '?x-oss-process=image/resize,w_1', '?response-content-type=a', '?versionId=1', '&', '=', '?.txt', '?foo', '?partNumber=1&uploadId=abc', 'what?.txt', '??');
const segment = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/) }, { weight: 2, arbitrary: tricky }, { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), tricky).map(([a, b]) => a + b) });
const key = fc.tuple(fc.constantFrom('users/alice/', 'users/alice/', 'users/alice/', 'users/mallory/'), fc.array(segment, { minLength: 1, maxLength: 3 })).map(([prefix, parts]) => prefix + parts.join('/'));
const value = fc.oneof(fc.constant(null), fc.stringMatching(/^[A-Za-z0-9/_.-]{1,10}$/), fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), tricky).map(([a, b]) => a + b));
const query = fc.dictionary(fc.constantFrom('acl', 'uploads', 'uploadId', 'partNumber', 'response-content-type', 'response-content-disposition', 'x-oss-process', 'versionId', 'objectMeta', 'foo', 'prefix'), value, { maxKeys: 3 });

describe('a "?" in a V1 resource', () => {
  it('is signed as the request OSS reads, and only that, for any key and sub-resources ali-oss writes', () => {
    let signed = 0;
    let withQuestionMark = 0;
    const codes = new Set<string>();
    fc.assert(
      fc.property(fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE'), key, query, (verb, objectKey, parameters) => {
        // Act
        const text = stringToSign(verb, objectKey, parameters);
        const result = attempt(text);
        if ('code' in result) {
          codes.add(result.code);
          return;
        }
        signed++;
        if (result.key.includes('?')) withQuestionMark++;
        // Assess: OSS reads the resource as the authorized request, or as the key holding its own
        // sub-resources; any other reading with sub-resources would be smuggled past the rules.
        const resource = text.slice(text.lastIndexOf('\n') + 1).slice('/photos/'.length);
        const readings = ossReadings(resource);
        const authorized = { key: result.key, subresources: result.subresources };
        const whole = result.subresources === '' ? result.key : `${result.key}?${result.subresources}`;
        for (const reading of readings) {
          const same = reading.key === authorized.key && reading.subresources === authorized.subresources;
          const keyHoldingThem = reading.subresources === '' && reading.key === whole;
          oftenBe(same || keyHoldingThem, true, `${JSON.stringify(text)} read as ${JSON.stringify(reading)}, signed as ${JSON.stringify(result)}`);
          // Both readings are keys under the caller's prefix, without dot segments.
          oftenBe(reading.key.startsWith('users/alice/'), true);
          oftenBe(reading.key.split('/').some((part) => part === '.' || part === '..'), false);
        }
        // The request that was built is one of them.
        const built = Object.entries(parameters).filter(([name]) => isOssSubresource(name)).sort(([a], [b]) => (a < b ? -1 : 1));
        expect(readings).toContainEqual({ key: objectKey, subresources: built.map(([name, given]) => (given === null || given === '' ? name : `${name}=${given}`)).join('&') });
      }),
      { numRuns: 10_000 },
    );
    // Not vacuous: keys with "?" are signed, and smuggling attempts are refused.
    expect(signed).toBeGreaterThan(1000);
    expect(withQuestionMark).toBeGreaterThan(100);
    expect(codes).toContain('SubResourceNotAllowed');
  });

  it('refuses the smuggling content of the security review, and signs the Android SDK\'s what?.txt', () => {
    const smuggling = `GET\n\n\n${DATE}\n/photos/users/alice/x?response-content-type=a?x-oss-process=image/resize,w_1`;
    const android = `GET\n\n\n${DATE}\n/photos/users/alice/what?.txt`;

    expect(attempt(smuggling)).toEqual({ code: 'SubResourceNotAllowed' });
    expect(attempt(android)).toEqual({ operation: 'GetObject', key: 'users/alice/what?.txt', subresources: '' });
  });

  it('limits response-* values to header values without "?", and refuses a value that would put a dot segment into the key', () => {
    expect(attempt(`GET\n\n\n${DATE}\n/photos/users/alice/a.jpg?response-content-disposition=attachment; filename="a.jpg"&response-content-type=image/jpeg`)).toMatchObject({ operation: 'GetObject' });
    expect(attempt(`GET\n\n\n${DATE}\n/photos/users/alice/a.jpg?response-content-type=a?b`)).toEqual({ code: 'SubResourceNotAllowed' });
    expect(attempt(`GET\n\n\n${DATE}\n/photos/users/alice/a.jpg?response-content-type`)).toEqual({ code: 'SubResourceNotAllowed' });
    expect(attempt(`GET\n\n\n${DATE}\n/photos/users/alice/a.jpg?response-content-type=${'a'.repeat(257)}`)).toEqual({ code: 'SubResourceNotAllowed' });
    expect(attempt(`GET\n\n\n${DATE}\n/photos/users/alice/a.jpg?response-content-type=x/../../../bob`)).toEqual({ code: 'KeyNotAllowed' });
  });
});
