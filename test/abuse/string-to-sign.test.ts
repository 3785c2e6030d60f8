/**
 * Abuse: string-to-sign contents through the real sign-request handler, in text and JSON mode.
 * Mutations of valid mobile-shaped contents: other users' and sibling prefixes, dot segments,
 * random sub-resources and x-oss headers, CR/LF and other control characters, dates and Expires
 * out of the window, carried security tokens, oversize contents. A content is signed only when an
 * independent reading of the README's rules accepts it, and then with the caller's own scoped
 * credentials over exactly the content the oracle expects; a refusal never carries a signature.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { type TestRequest, bearer, httpEvent } from '../helpers/fc-events';
import { type ContentCase, contentCase } from './arbitraries';
import { eventVerdict } from './oracle';
import { DEFAULT_SCOPE, POOL, SCOPE_NAMES, type ScopeName, Tally, checkResponse, invoke, useWorld } from './world';
import { oftenBe } from '../helpers/often';

const world = useWorld();
const RUNS = { numRuns: 10_000 };

it('signs exactly the contents the rules allow, for the caller\'s own prefix, and refuses the rest without a signature', async () => {
  // Prepare: one content arbitrary per pooled identity and scope (they take a while to build).
  const w = world();
  const tally = new Tally();
  const byCaller = new Map<string, fc.Arbitrary<ContentCase>>();
  for (const identity of POOL) for (const scope of SCOPE_NAMES) byCaller.set(`${identity}\n${scope}`, contentCase(w, identity, scope));
  const input = fc
    .tuple(fc.constantFrom(...POOL), fc.constantFrom(...SCOPE_NAMES))
    .chain(([identity, scope]) => fc.record({ identity: fc.constant(identity), scope: fc.constant<ScopeName>(scope), content: byCaller.get(`${identity}\n${scope}`) as fc.Arbitrary<ContentCase>, mode: fc.constantFrom('text', 'json'), viaQuery: fc.boolean() }));

  // Act + Assess
  await fc.assert(
    fc.asyncProperty(input, async ({ identity, scope, content, mode, viaQuery }) => {
      // The scope goes in the query (always, in text mode) or the JSON body; the default one is sometimes named nowhere.
      const unnamed = scope === DEFAULT_SCOPE && viaQuery;
      const inQuery = !unnamed && (mode === 'text' || viaQuery);
      const request: TestRequest = {
        method: 'POST',
        headers: { ...bearer(w.tokenFor(identity)), 'Content-Type': mode === 'json' ? 'application/json' : 'text/plain; charset=utf-8' },
        query: inQuery ? { scope } : {},
        body: mode === 'json' ? JSON.stringify(inQuery || unnamed ? { stringToSign: content.text } : { stringToSign: content.text, scope }) : content.text,
      };
      const event = httpEvent(request);
      const verdict = eventVerdict('sign-request', event, w.knows, w.now, w.currentToken);
      const response = await invoke(w.handlers['sign-request'], event, w.context);
      const outcome = checkResponse(w, 'sign-request', response, verdict, () => `${mode} ${identity}/${scope} ${content.mutations.join(',')} ${JSON.stringify(content.text)}`);
      tally.add(outcome);
      // 409 hands back the caller's own current token, and only that.
      if (outcome === 'SecurityTokenMismatch') oftenBe(response.headers['x-oss-security-token'], w.currentToken(identity, scope));
    }),
    RUNS,
  );

  // Not vacuous: a healthy share is signed, and every kind of refusal occurs.
  expect(tally.get('200')).toBeGreaterThan(2000);
  expect(tally.get('200')).toBeLessThan(8000);
  for (const code of ['MalformedStringToSign', 'PayloadTooLarge', 'VerbNotAllowed', 'DateOutOfRange', 'HeaderNotAllowed', 'ResourceNotAllowed', 'BucketNotAllowed', 'ListingNotSignable', 'KeyNotAllowed', 'SubResourceNotAllowed', 'OperationNotAllowed', 'SecurityTokenMismatch']) {
    expect(tally.get(code), code).toBeGreaterThan(5);
  }
}, 120_000);
