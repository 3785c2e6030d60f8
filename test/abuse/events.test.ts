/**
 * Abuse: whole FC events into the real handlers. Missing and mistyped fields, base64 and broken
 * base64 bodies, bodies around and over the limit, header names in any case, duplicate headers
 * differing only in case (which the adapter joins with commas), odd query strings, and events that
 * are not HTTP events at all. Every answer is the documented refusal, or a 200 only for a request
 * the oracle knows to be valid; never a 5xx, never a rejection, never a credential for a refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TestRequest, bearer, httpEvent } from '../helpers/fc-events';
import { eventCase, junkEvent, mixed, poolIdentity, anyString, validContent } from './arbitraries';
import { eventVerdict } from './oracle';
import { FUNCTIONS, Tally, checkResponse, invoke, refuse, useWorld } from './world';
import { oftenBe, oftenEqual } from '../helpers/often';

const world = useWorld();
const RUNS = { numRuns: 10_000 };

describe.each(FUNCTIONS)('%s: whole FC events', (fn) => {
  it('answers every event with a documented refusal, a preflight, or (only for a valid request) a 200', async () => {
    // Prepare
    const w = world();
    const tally = new Tally();
    // Act + Assess
    await fc.assert(
      fc.asyncProperty(eventCase(w, fn), async (input) => {
        const verdict = eventVerdict(fn, input.event, w.knows, w.now, w.currentToken);
        const response = await invoke(w.handlers[fn], input.event, w.context);
        tally.add(checkResponse(w, fn, response, verdict, () => input.describe));
      }),
      RUNS,
    );
    // Not vacuous: valid requests are served, and the refusals are of many kinds.
    expect(tally.get('200')).toBeGreaterThan(2000);
    expect(tally.get('204')).toBeGreaterThan(50);
    for (const code of ['MalformedRequest', 'PayloadTooLarge', 'InvalidToken', 'MethodNotAllowed', 'UnsupportedMediaType']) expect(tally.get(code), code).toBeGreaterThan(20);
  }, 120_000);

  it('never authenticates a request with two Authorization headers differing only in case', async () => {
    const w = world();
    const tally = new Tally();
    const names = fc.tuple(mixed('authorization'), mixed('authorization')).filter(([a, b]) => a !== b);
    const other = fc.oneof(anyString(40), poolIdentity.map((identity) => `Bearer ${w.tokenFor(identity)}`), fc.constantFrom('', ' ', ',', 'Bearer', 'null'));
    await fc.assert(
      fc.asyncProperty(names, poolIdentity, other, fc.boolean(), fc.nat(), async ([first, second], identity, garbage, validFirst, variant) => {
        // Prepare: a request that is valid in every other way.
        const valid = bearer(w.tokenFor(identity)).Authorization ?? '';
        const headers: Record<string, string> = validFirst ? { [first]: valid, [second]: garbage } : { [first]: garbage, [second]: valid };
        const request: TestRequest = fn === 'vend-token'
          ? { method: 'GET', headers }
          : { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: validContent(identity, 'user', w.now, variant) };
        const event = httpEvent(request);
        // Act
        const response = await invoke(w.handlers[fn], event, w.context);
        // Assess: refused as a token, whatever the order and the other value.
        tally.add(checkResponse(w, fn, response, refuse('InvalidToken'), () => JSON.stringify(request)));
        oftenBe(response.statusCode, 401);
        oftenEqual(eventVerdict(fn, event, w.knows, w.now, w.currentToken), refuse('InvalidToken'));
      }),
      RUNS,
    );
    expect(tally.get('InvalidToken')).toBe(10_000);
  }, 120_000);
});

describe('events that are not HTTP events', () => {
  it('answers random bytes, strings, JSON values and objects with 400 (or 413), in both functions', async () => {
    const w = world();
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(junkEvent, async (input) => {
        const verdict = eventVerdict(input.fn, input.event, w.knows, w.now, w.currentToken);
        oftenBe(verdict.kind, 'refuse', 'the generator makes no HTTP event');
        const response = await invoke(w.handlers[input.fn], input.event, w.context);
        tally.add(checkResponse(w, input.fn, response, verdict, () => input.describe));
      }),
      RUNS,
    );
    expect(tally.get('MalformedRequest')).toBeGreaterThan(9000);
  }, 120_000);
});
