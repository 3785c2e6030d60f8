/**
 * Abuse: what a well-formed FC event carries. vend-token's `scope` in the query and in JSON bodies,
 * sign-request's `{stringToSign, scope}` and text bodies, with every content type, and scope names
 * of every kind, in handlers with and without a default scope. Each answer is the documented one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TestRequest, bearer, httpEvent } from '../helpers/fc-events';
import { anyString, poolIdentity, scopeName, validContent } from './arbitraries';
import { eventVerdict } from './oracle';
import { SCOPES, type ScopeName, Tally, type World, checkResponse, invoke, useWorld } from './world';
import { oftenBe } from '../helpers/often';

const world = useWorld();
const RUNS = { numRuns: 10_000 };

/** Runs `request` through the handler (with or without a default scope) and checks the answer against the oracle. */
async function exercise(w: World, fn: 'vend-token' | 'sign-request', request: TestRequest, hasDefault: boolean, tally: Tally): Promise<string> {
  const event = httpEvent(request);
  const verdict = eventVerdict(fn, event, w.knows, w.now, (identity, scope) => w.currentToken(identity, scope, hasDefault ? 'default' : 'noDefault'), hasDefault);
  const response = await invoke((hasDefault ? w.handlers : w.noDefault)[fn], event, w.context);
  const outcome = checkResponse(w, fn, response, verdict, () => `${hasDefault ? 'default scope' : 'no default scope'} ${JSON.stringify(request)}`);
  tally.add(outcome);
  return outcome;
}

/** The scope a request resolves to, when it names a configured one (or none, with the default); for building a content that fits. */
const fitting = (requested: string | undefined): ScopeName => (requested !== undefined && Object.hasOwn(SCOPES, requested) ? (requested as ScopeName) : 'user');

const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }));
const jsonTypes = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8') }, { weight: 1, arbitrary: fc.constantFrom('', 'text/plain', 'application/json+x', 'application/jsonx', 'json', 'application/json, text/plain', 'multipart/form-data; boundary=x') });
const queries = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Record<string, string>>({}) },
  { weight: 4, arbitrary: scopeName.map((scope) => ({ scope })) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('scope', 'Scope', 'SCOPE', 'scope ', 'scope[]', '__proto__', 'stringToSign'), fc.string({ maxLength: 8 })), anyString(30), { maxKeys: 3 }) },
);
const strangeJson = fc.constantFrom(
  '{}', 'null', '[]', '"user"', '1', 'true', '{"scope":"user"}x', '\ufeff{"scope":"user"}', '{"\\u0073cope":"shared"}', '{"__proto__":{"scope":"admin"}}', '{"scope":"user","__proto__":{}}',
  '{"constructor":"x"}', '{"scope":"user",}', "{'scope':'user'}", '{"scope":null}', '{"scope":"us\\u0065r"}', ' {"scope" : "shared" } ', `${'['.repeat(2000)}${']'.repeat(2000)}`,
  '{"scope":"\\ud800"}', '{"scope":"user"', '{"scope":"user"}\u0000', '{"Scope":"user"}', '{"scope":["user"]}', '{"scope":{"toString":"user"}}', '',
);

describe('vend-token: JSON bodies and query strings', () => {
  it('reads the scope from the query or a JSON body exactly as documented', async () => {
    const w = world();
    const tally = new Tally();
    const body = fc.oneof(
      { weight: 6, arbitrary: scopeName.map((scope) => JSON.stringify({ scope })) },
      { weight: 2, arbitrary: fc.tuple(scopeName, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 2 })).map(([scope, extra]) => JSON.stringify({ ...extra, scope })) },
      { weight: 2, arbitrary: notAString.map((scope) => JSON.stringify({ scope })) },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: anyString(80) },
      { weight: 1, arbitrary: fc.tuple(scopeName, scopeName).map(([a, b]) => `{"scope":${JSON.stringify(a)},"scope":${JSON.stringify(b)}}`) },
      { weight: 2, arbitrary: strangeJson },
    );
    await fc.assert(
      fc.asyncProperty(poolIdentity, fc.constantFrom('POST', 'POST', 'POST', 'GET'), fc.option(jsonTypes, { freq: 8 }), body, fc.boolean(), queries, fc.boolean(), async (identity, method, contentType, text, base64, query, hasDefault) => {
        const request: TestRequest = {
          method,
          headers: { ...bearer(w.tokenFor(identity)), ...(contentType === null ? {} : { 'Content-Type': contentType }) },
          query,
          body: base64 ? Buffer.from(text).toString('base64') : text,
          isBase64Encoded: base64,
        };
        await exercise(w, 'vend-token', request, hasDefault, tally);
      }),
      RUNS,
    );
    expect(tally.get('200')).toBeGreaterThan(1000);
    for (const code of ['MalformedRequest', 'UnknownScope', 'UnsupportedMediaType', 'MissingScope']) expect(tally.get(code), code).toBeGreaterThan(50);
  }, 120_000);
});

describe('sign-request: JSON and text bodies, query strings', () => {
  it('reads {stringToSign, scope} or the text content, and the scope, exactly as documented', async () => {
    const w = world();
    const tally = new Tally();
    const textTypes = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'Text/Plain', '') }, { weight: 1, arbitrary: fc.constantFrom('text/html', 'application/xml', 'text/plain, application/json', 'application/octet-stream') });
    const request = fc
      .record({ identity: poolIdentity, variant: fc.nat(), scope: fc.option(scopeName, { freq: 3 }), query: queries, mode: fc.constantFrom('json', 'json', 'text'), shape: fc.nat({ max: 19 }), jsonType: jsonTypes, textType: textTypes, extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 2 }), other: notAString, strange: strangeJson, random: anyString(120), bytes: fc.uint8Array({ maxLength: 40 }) })
      .map(({ identity, variant, scope, query: q, mode, shape, jsonType, textType, extra, other, strange, random, bytes }) => {
        const content = validContent(identity, fitting(scope ?? q['scope'] ?? undefined), w.now, variant);
        const named = scope === null ? {} : { scope };
        let body: string | Buffer;
        if (mode === 'text') body = shape < 14 ? content : shape < 17 ? random : Buffer.from([...Buffer.from(content), 0xff, ...bytes]);
        else if (shape < 12) body = JSON.stringify({ stringToSign: content, ...named });
        else if (shape < 13) body = JSON.stringify({ ...extra, stringToSign: content, ...named });
        else if (shape < 14) body = JSON.stringify({ stringToSign: other, ...named });
        else if (shape < 15) body = JSON.stringify({ stringToSign: content, scope: other });
        else if (shape < 16) body = JSON.stringify({ stringToSign: random, ...named });
        else if (shape < 17) body = `{"stringToSign":${JSON.stringify(content)},"stringToSign":${JSON.stringify(random)}}`;
        else if (shape < 18) body = strange;
        else body = random;
        const built: TestRequest = {
          method: 'POST',
          headers: { ...bearer(w.tokenFor(identity)), 'Content-Type': mode === 'json' ? jsonType : textType },
          query: q,
          body: Buffer.isBuffer(body) ? body.toString('base64') : body,
          isBase64Encoded: Buffer.isBuffer(body),
        };
        return built;
      });
    await fc.assert(
      fc.asyncProperty(request, fc.boolean(), async (built, hasDefault) => {
        await exercise(w, 'sign-request', built, hasDefault, tally);
      }),
      RUNS,
    );
    expect(tally.get('200')).toBeGreaterThan(1000);
    for (const code of ['MalformedRequest', 'MalformedStringToSign', 'UnknownScope', 'UnsupportedMediaType', 'MissingScope']) expect(tally.get(code), code).toBeGreaterThan(50);
  }, 120_000);
});

describe('scope names', () => {
  it('vend-token serves exactly the configured scopes, wherever the name is given', async () => {
    const w = world();
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(poolIdentity, scopeName, scopeName, fc.constantFrom('query', 'body', 'both', 'both-other', 'none'), fc.boolean(), async (identity, name, other, where, hasDefault) => {
        const inQuery = where === 'query' || where === 'both' || where === 'both-other';
        const inBody = where === 'body' || where === 'both' || where === 'both-other';
        const request: TestRequest = {
          method: inBody ? 'POST' : 'GET',
          headers: { ...bearer(w.tokenFor(identity)), ...(inBody ? { 'Content-Type': 'application/json' } : {}) },
          query: inQuery ? { scope: where === 'both-other' ? other : name } : {},
          ...(inBody ? { body: JSON.stringify({ scope: name }) } : {}),
        };
        const outcome = await exercise(w, 'vend-token', request, hasDefault, tally);
        // Independently of the oracle: a name that is not configured never gets credentials.
        // An empty name, in the query or the body, names none: the other place's name (or the default) counts.
        const queried = inQuery ? (where === 'both-other' ? other : name) : '';
        const named = (inBody ? name : '') || queried;
        if (outcome === '200' && named !== '') oftenBe(Object.hasOwn(SCOPES, named), true);
      }),
      RUNS,
    );
    expect(tally.get('200')).toBeGreaterThan(2000);
    expect(tally.get('UnknownScope')).toBeGreaterThan(2000);
  }, 120_000);

  it('sign-request signs only for the configured scopes, wherever the name is given', async () => {
    const w = world();
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(poolIdentity, scopeName, scopeName, fc.constantFrom('query', 'json', 'json+query', 'json+other', 'none'), fc.nat(), fc.boolean(), async (identity, name, other, where, variant, hasDefault) => {
        const json = where !== 'query' && where !== 'none';
        const query: Record<string, string> = where === 'query' || where === 'json+query' ? { scope: name } : where === 'json+other' ? { scope: other } : {};
        const content = validContent(identity, fitting(where === 'none' ? undefined : name || (where === 'json+other' ? other : undefined)), w.now, variant);
        const request: TestRequest = {
          method: 'POST',
          headers: { ...bearer(w.tokenFor(identity)), 'Content-Type': json ? 'application/json' : 'text/plain' },
          query,
          body: json ? JSON.stringify({ stringToSign: content, scope: name }) : content,
        };
        await exercise(w, 'sign-request', request, hasDefault, tally);
      }),
      RUNS,
    );
    expect(tally.get('200')).toBeGreaterThan(2000);
    expect(tally.get('UnknownScope')).toBeGreaterThan(2000);
  }, 120_000);
});
