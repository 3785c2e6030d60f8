/**
 * Abuse: bearer tokens and identities. The JWT attack corpus (alg none, HS/RS confusion, wrong
 * keys, algorithms the key does not allow, expired, not yet valid, wrong or missing iss/aud/exp/sub,
 * crit, embedded jwk/jku/x5u), mutations of valid tokens and random bytes; then tokens validly
 * signed by the configured key whose `sub` is hostile. Only a valid token for a safe identity is
 * ever served.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TestRequest, httpEvent } from '../helpers/fc-events';
import { type TokenCase, configuredScope, subClaim, tokenCase, validContent } from './arbitraries';
import { type TokenKnowledge, eventVerdict, isSafeIdentity } from './oracle';
import { FUNCTIONS, type FunctionName, POOL, Tally, type Verdict, type World, checkResponse, invoke, useWorld } from './world';
import { oftenBe } from '../helpers/often';

const world = useWorld();
const RUNS = { numRuns: 10_000 };
/**
 * The seed of both functions' identity properties, new at every run: they draw the same inputs, so
 * the tokens signed for the first come from the world's cache for the second (signing them with the
 * RSA key is most of a property's cost). Each is still a property of 10,000 random inputs.
 */
const IDENTITY_SEED = Math.floor(Math.random() * 0x7fffffff);

/** A request valid in every way but its Authorization header. */
function requestWith(w: World, fn: FunctionName, authorization: string | undefined, identity: string, variant: number): TestRequest {
  const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization };
  if (fn === 'vend-token') return { method: variant % 2 === 0 ? 'GET' : 'POST', headers };
  return { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: validContent(identity, 'user', w.now, variant) };
}

/** The verdict for a token of the same bytes as a valid one: served as that one, or refused as a token. */
function eitherWay(valid: Verdict, invalid: Verdict): Verdict {
  if (valid.kind === 'accept') return { kind: 'either', accept: valid };
  if (valid.kind === 'refuse' && invalid.kind === 'refuse') return { kind: 'refuse', codes: new Set([...valid.codes, ...invalid.codes]) };
  return invalid;
}

const LABELS_REFUSED = ['bad-scheme', 'alg-none', 'hs-rs-confusion', 'wrong-key', 'alg-not-allowed', 'crit', 'bad-structure', 'embedded-key', 'missing'];

describe.each(FUNCTIONS)('%s: bearer tokens', (fn) => {
  it('serves only valid tokens: the attack corpus, mutated tokens and random bytes are refused with 401 InvalidToken', async () => {
    const w = world();
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(tokenCase(w), fc.nat(), async (token: TokenCase, variant) => {
        // Prepare
        const request = requestWith(w, fn, token.header, token.identity, variant);
        const event = httpEvent(request);
        const unknown = eventVerdict(fn, event, w.knows, w.now, w.currentToken);
        let verdict = unknown;
        if (token.equivalent !== undefined) {
          const candidate = (token.header ?? '').replace(/^Bearer /, '');
          const original = w.knows(token.equivalent);
          const knowing: TokenKnowledge = (value) => (value === candidate ? original : w.knows(value));
          verdict = eitherWay(eventVerdict(fn, event, knowing, w.now, w.currentToken), unknown);
        }
        // Act
        const response = await invoke(w.handlers[fn], event, w.context);
        // Assess
        const outcome = checkResponse(w, fn, response, verdict, () => `${token.label} ${JSON.stringify(request)}`);
        tally.add(`${token.label}:${outcome}`);
        if (LABELS_REFUSED.includes(token.label) || token.label.startsWith('bad-claims:')) oftenBe(outcome, 'InvalidToken', token.label);
        if (token.label === 'valid' || token.label === 'valid-scheme' || token.label === 'valid-variant') oftenBe(outcome, '200', token.label);
      }),
      RUNS,
    );
    const seen = [...tally.counts.keys()].map((key) => key.split(':200')[0]?.split(':InvalidToken')[0]);
    for (const label of [...LABELS_REFUSED, 'valid', 'valid-scheme', 'valid-variant', 'mutated', 'random', 'bad-claims:expired', 'bad-claims:not-yet-valid', 'bad-claims:issuer', 'bad-claims:audience', 'bad-claims:expiry', 'bad-claims:no-sub']) {
      expect(seen, label).toContain(label);
    }
    expect(tally.get('mutated:InvalidToken')).toBeGreaterThan(500);
  }, 120_000);
});

describe.each(FUNCTIONS)('%s: identities', (fn) => {
  it('serves a validly signed token only for a safe identity, and only that identity\'s prefix', async () => {
    const w = world();
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(subClaim, configuredScope, fc.nat(), fc.boolean(), async (sub, scope, variant, json) => {
        // Prepare: a token signed by the configured key, valid in every way but (maybe) its sub.
        const token = w.signedFor(sub);
        const headers = { Authorization: `Bearer ${token}` };
        const content = validContent(typeof sub === 'string' && isSafeIdentity(sub) ? sub : POOL[0] ?? 'alice', scope, w.now, variant);
        const request: TestRequest =
          fn === 'vend-token'
            ? { method: 'GET', headers, query: { scope } }
            : json
              ? { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ stringToSign: content, scope }) }
              : { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, query: { scope }, body: content };
        const event = httpEvent(request);
        const verdict = eventVerdict(fn, event, w.knows, w.now, w.currentToken);
        // Act
        const response = await invoke(w.handlers[fn], event, w.context);
        // Assess (the prefix of a 200 is checked by checkResponse: it is the identity's own)
        const outcome = checkResponse(w, fn, response, verdict, () => `sub=${JSON.stringify(sub)} ${JSON.stringify(request)}`);
        const kind = typeof sub !== 'string' ? 'not-a-string' : POOL.includes(sub) ? 'pooled' : isSafeIdentity(sub) ? 'safe' : 'unsafe';
        tally.add(`${kind}:${outcome}`);
        oftenBe(outcome, { 'not-a-string': 'InvalidToken', pooled: '200', safe: '200', unsafe: 'InvalidIdentity' }[kind], kind);
      }),
      { ...RUNS, seed: IDENTITY_SEED },
    );
    expect(tally.get('unsafe:InvalidIdentity')).toBeGreaterThan(4000);
    expect(tally.get('pooled:200')).toBeGreaterThan(2000);
    expect(tally.get('safe:200')).toBeGreaterThan(100);
  }, 120_000);
});
