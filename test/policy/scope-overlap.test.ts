/**
 * The scope overlap check: examples, and a fast-check property against a brute-force oracle that
 * tries every pair of identities up to a small length over the characters that matter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NamedTemplate, prefixOverlap, scopeOverlapProblems } from '../../shared/policy/scope-overlap';
import { type PrefixTemplate, parsePrefixTemplate } from '../../shared/policy/scopes';
import { oftenBe } from '../helpers/often';

function template(text: string): PrefixTemplate {
  const parsed = parsePrefixTemplate(text, 'sub');
  if (typeof parsed === 'string') throw new Error(`${text}: ${parsed}`);
  return parsed;
}

function named(name: string, prefix: string, overlaps: string[] = []): NamedTemplate {
  return { name, template: template(prefix), overlaps };
}

/** An identity by README's rule, written out here: 1 to `max` of A-Z a-z 0-9 . _ @ | -, a letter or digit first, no "..". */
const isIdentity = (value: string, max: number): boolean => value.length <= max && /^[A-Za-z0-9][A-Za-z0-9._@|-]*$/.test(value) && !value.includes('..');

/** Every identity of up to `max` characters from `alphabet`. */
function allIdentities(alphabet: readonly string[], max: number): string[] {
  let level = [''];
  const all: string[] = [];
  for (let length = 1; length <= max; length++) {
    level = level.flatMap((stem) => alphabet.map((char) => stem + char));
    all.push(...level.filter((value) => isIdentity(value, max)));
  }
  return all;
}

/** Whether two different identities' prefixes are equal or one contains the other, by trying them all. */
function overlapBySearch(first: string, second: string, identities: readonly string[]): boolean {
  const firsts = identities.map((identity) => first.replace('${sub}', identity));
  const seconds = identities.map((identity) => second.replace('${sub}', identity));
  for (const [i, a] of firsts.entries()) {
    for (const [j, b] of seconds.entries()) if (i !== j && (a.startsWith(b) || b.startsWith(a))) return true;
  }
  return false;
}

describe('prefixOverlap', () => {
  it.each([
    ['users/${sub}/', 'users/team/', { first: 'team', firstPrefix: 'users/team/', secondPrefix: 'users/team/' }],
    ['${sub}/', 'public/', { first: 'public', firstPrefix: 'public/', secondPrefix: 'public/' }],
    ['${sub}/', 'public/images/', { first: 'public', firstPrefix: 'public/', secondPrefix: 'public/images/' }],
    ['users/team/', 'users/${sub}/', { second: 'team', firstPrefix: 'users/team/', secondPrefix: 'users/team/' }],
    ['users/', 'users/${sub}/', { second: 'a', firstPrefix: 'users/', secondPrefix: 'users/a/' }],
    ['shared/', 'shared/', { firstPrefix: 'shared/', secondPrefix: 'shared/' }],
    ['u/${sub}/', 'u/x-${sub}/', { first: 'x-a', second: 'a', firstPrefix: 'u/x-a/', secondPrefix: 'u/x-a/' }],
    ['a/${sub}/b/', 'a/c/${sub}/', { first: 'c', second: 'b', firstPrefix: 'a/c/b/', secondPrefix: 'a/c/b/' }],
    ['a/${sub}/', 'a/b/${sub}/', { first: 'b', second: 'a', firstPrefix: 'a/b/', secondPrefix: 'a/b/a/' }],
    ['u/${sub}/', `u/${'k'.repeat(64)}/`, { first: 'k'.repeat(64), firstPrefix: `u/${'k'.repeat(64)}/`, secondPrefix: `u/${'k'.repeat(64)}/` }],
  ])('%s and %s overlap across users', (first, second, witness) => {
    expect(prefixOverlap(template(first), template(second))).toEqual(witness);
  });

  it.each([
    ['users/${sub}/', 'users/${sub}/public/', 'the same user only'],
    ['users/${sub}/', 'users/${sub}/', 'the same user only'],
    ['a/${sub}/b/', 'a/b/${sub}/', 'the same user only (b)'],
    ['users/${sub}/', 'shared/', 'different first segments'],
    ['users/${sub}/', 'users-team/', 'different first segments'],
    ['u/${sub}/', 'u/a+b/', 'an identity cannot hold +'],
    ['u/${sub}/', 'u/.hidden/', 'an identity cannot start with .'],
    ['u/${sub}/', 'u/a..b/', 'an identity cannot hold ..'],
    ['u/${sub}/', `u/${'k'.repeat(65)}/`, 'an identity has at most 64 characters'],
    ['u/${sub}/a/', 'u/x-${sub}/b/', 'the tails differ'],
    ['u/a-${sub}/', 'u/b-${sub}/', 'the literals before the identities differ'],
    ['u/x${sub}/', 'u/x.${sub}/', 'an identity cannot start with .'],
    ['u/${sub}/', `u/${'k'.repeat(64)}${'${sub}'}/`, 'the identity would need 65 characters'],
  ])('%s and %s do not overlap across users: %s', (first, second) => {
    expect(prefixOverlap(template(first), template(second))).toBeUndefined();
    expect(prefixOverlap(template(second), template(first))).toBeUndefined();
  });

  it('agrees with a search over every pair of identities, and its witness is a real overlap (property)', () => {
    const MAX = 3;
    // Every identity the templates' characters can spell, and one character they cannot.
    const identities = allIdentities(['a', 'b', '-', '.', '|'], MAX);
    // Few, short literals, so that templates often share segments.
    const segment = fc.oneof(fc.constantFrom('a', 'b', 'a-', 'b.a', '-a', '+'), fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '+', '='), minLength: 1, maxLength: 4 }));
    const before = fc.oneof(fc.constantFrom('', '', 'a', 'a-'), fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '+'), maxLength: 2 }));
    const prefixTemplate = fc
      .tuple(fc.array(segment, { maxLength: 2 }), fc.option(fc.tuple(before, fc.array(segment, { maxLength: 2 }))))
      .map(([head, identity]) => {
        const lead = head.map((part) => `${part}/`).join('');
        if (identity === null) return lead || 'b/';
        const [before, tail] = identity;
        return `${lead}${before}\${sub}/${tail.map((part) => `${part}/`).join('')}`;
      })
      .filter((text) => typeof parsePrefixTemplate(text, 'sub') !== 'string');
    fc.assert(
      fc.property(prefixTemplate, prefixTemplate, (first, second) => {
        const witness = prefixOverlap(template(first), template(second), MAX);
        oftenBe(witness !== undefined, overlapBySearch(first, second, identities));
        if (witness === undefined) return;
        for (const identity of [witness.first, witness.second]) if (identity !== undefined) oftenBe(isIdentity(identity, MAX), true);
        oftenBe(witness.first === undefined || witness.first !== witness.second, true);
        oftenBe(witness.firstPrefix, first.replace('${sub}', witness.first ?? ''));
        oftenBe(witness.secondPrefix, second.replace('${sub}', witness.second ?? ''));
        oftenBe(witness.firstPrefix.startsWith(witness.secondPrefix) || witness.secondPrefix.startsWith(witness.firstPrefix), true);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('scopeOverlapProblems', () => {
  it('names both scopes, an identity and the prefixes, and says how to declare the overlap', () => {
    expect(scopeOverlapProblems([named('user', 'users/${sub}/'), named('team', 'users/team/')])).toEqual([
      'scopes "user" and "team" overlap: "user" gives the identity "team" users/team/ and "team" gives every identity users/team/, the same prefix; if that is intended, add "overlaps": ["team"] to scope "user"',
    ]);
    expect(scopeOverlapProblems([named('user', '${sub}/'), named('public', 'public/images/')])).toEqual([
      'scopes "user" and "public" overlap: "user" gives the identity "public" public/ and "public" gives every identity public/images/, and public/ contains public/images/; if that is intended, add "overlaps": ["public"] to scope "user"',
    ]);
  });

  it('accepts an overlap declared on either scope', () => {
    expect(scopeOverlapProblems([named('user', 'users/${sub}/', ['team']), named('team', 'users/team/')])).toEqual([]);
    expect(scopeOverlapProblems([named('user', 'users/${sub}/'), named('team', 'users/team/', ['user'])])).toEqual([]);
  });

  it('reports every undeclared pair, and only those', () => {
    const scopes = [named('user', '${sub}/', ['public']), named('public', 'public/'), named('team', 'team/'), named('own', '${sub}/private/')];
    const problems = scopeOverlapProblems(scopes);
    expect(problems.map((problem) => /^scopes "([^"]+)" and "([^"]+)"/.exec(problem)?.slice(1).join('+'))).toEqual(['user+team', 'public+own', 'team+own']);
  });

  it('refuses a declaration that names no other scope, or a pair that cannot overlap', () => {
    expect(scopeOverlapProblems([named('user', 'users/${sub}/', ['user', 'nobody']), named('shared', 'shared/', ['user'])])).toEqual([
      'scope "user": "overlaps" names "user", which is not another configured scope',
      'scope "user": "overlaps" names "nobody", which is not another configured scope',
      'scopes "user" and "shared" are declared to overlap, but their prefixes cannot; remove the declaration',
    ]);
  });
});
