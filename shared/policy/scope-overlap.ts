/**
 * Whether two scopes' prefixes can overlap across users: whether some identity's prefix in one
 * scope can equal, contain or lie inside what another identity (or every identity, for a literal
 * prefix) gets in the other. `users/${sub}/` beside `users/team/` can (the identity `team` gets
 * read and write on what the team scope shares); `users/${sub}/` beside `users/${sub}/public/`
 * cannot, since the two meet only for the same identity.
 *
 * Prefixes end with `/` and identities hold no `/`, so one prefix contains another exactly when
 * its segments are the first segments of the other. Each template has at most one identity
 * segment (`<literal>${claim}`), so comparing segment by segment fixes each identity to at most
 * one value, or ties the two together, and the question is answered exactly, without search.
 */
import { MAX_IDENTITY_LENGTH, identityProblem } from './identity';
import type { PrefixTemplate } from './scopes';

/** Two identities that show an overlap, and the prefixes they get. */
export interface OverlapWitness {
  /** The identity in the first scope; absent when its prefix is literal (the same for every identity). */
  readonly first?: string;
  /** The identity in the second scope; absent when its prefix is literal. */
  readonly second?: string;
  readonly firstPrefix: string;
  readonly secondPrefix: string;
}

type Segment = { readonly literal: string } | { readonly before: string };

/**
 * Two different identities whose prefixes in the two templates are equal or one inside the
 * other, or `undefined` when there are none.
 *
 * @param maxIdentityLength the longest identity (tests use a small one to compare with a search).
 * @example
 * ```ts
 * prefixOverlap({ head: 'users/', tail: '/' }, { head: 'users/team/' });
 * // { first: 'team', firstPrefix: 'users/team/', secondPrefix: 'users/team/' }
 * ```
 */
export function prefixOverlap(first: PrefixTemplate, second: PrefixTemplate, maxIdentityLength = MAX_IDENTITY_LENGTH): OverlapWitness | undefined {
  const a = segmentsOf(first);
  const b = segmentsOf(second);
  let x: string | undefined;
  let y: string | undefined;
  // The second identity is the first with `extra` in front (or the other way round).
  let tie: { readonly longer: 'first' | 'second'; readonly extra: string } | undefined;
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const left = a[index] as Segment;
    const right = b[index] as Segment;
    if ('literal' in left && 'literal' in right) {
      if (left.literal !== right.literal) return undefined;
    } else if ('before' in left && 'literal' in right) {
      x = identityIn(right.literal, left.before, maxIdentityLength);
      if (x === undefined) return undefined;
    } else if ('literal' in left && 'before' in right) {
      y = identityIn(left.literal, right.before, maxIdentityLength);
      if (y === undefined) return undefined;
    } else if ('before' in left && 'before' in right) {
      // before₁·x = before₂·y: the same identity when the literals agree (no overlap across users).
      if (left.before === right.before) return undefined;
      if (right.before.startsWith(left.before)) tie = { longer: 'first', extra: right.before.slice(left.before.length) };
      else if (left.before.startsWith(right.before)) tie = { longer: 'second', extra: left.before.slice(right.before.length) };
      else return undefined;
    }
  }
  // Both fixed to the same identity: one user meets themself, not another.
  if (x !== undefined && x === y) return undefined;
  if (tie !== undefined) {
    // The shortest partner, "a", fits whenever any does: it starts with a letter and adds no "..".
    const longer = identityIn(`${tie.extra}a`, '', maxIdentityLength);
    if (longer === undefined) return undefined;
    [x, y] = tie.longer === 'first' ? [longer, 'a'] : ['a', longer];
  }
  // An identity not fixed above is free: pick one that differs from the other.
  const firstIdentity = first.tail === undefined ? undefined : x ?? (y === 'a' ? 'b' : 'a');
  const secondIdentity = second.tail === undefined ? undefined : y ?? (firstIdentity === 'a' ? 'b' : 'a');
  return {
    ...(firstIdentity === undefined ? {} : { first: firstIdentity }),
    ...(secondIdentity === undefined ? {} : { second: secondIdentity }),
    firstPrefix: resolve(first, firstIdentity),
    secondPrefix: resolve(second, secondIdentity),
  };
}

function segmentsOf(template: PrefixTemplate): Segment[] {
  const literal = (text: string): Segment[] => (text === '' ? [] : text.split('/').map((part) => ({ literal: part })));
  if (template.tail === undefined) return literal(template.head.slice(0, -1));
  const cut = template.head.lastIndexOf('/') + 1;
  return [...literal(template.head.slice(0, Math.max(0, cut - 1))), { before: template.head.slice(cut) }, ...literal(template.tail.slice(1, -1))];
}

/** The identity that makes `before` + identity equal `segment`, if there is an allowed one. */
function identityIn(segment: string, before: string, maxIdentityLength: number): string | undefined {
  if (!segment.startsWith(before)) return undefined;
  const identity = segment.slice(before.length);
  return identity.length <= maxIdentityLength && identityProblem(identity) === undefined ? identity : undefined;
}

function resolve(template: PrefixTemplate, identity: string | undefined): string {
  return template.tail === undefined ? template.head : `${template.head}${identity ?? ''}${template.tail}`;
}

/** A scope as the overlap check sees it: its parsed template and the scopes it may overlap. */
export interface NamedTemplate {
  readonly name: string;
  readonly template: PrefixTemplate;
  /** Scopes named in its `overlaps`. */
  readonly overlaps: readonly string[];
}

/**
 * The problems of a scope configuration's overlaps: each pair of scopes that can overlap across
 * users without either declaring the other in `overlaps`, each `overlaps` entry that names no
 * other scope, and each that names a scope it cannot overlap (a stale declaration).
 *
 * @returns one sentence per problem, naming the scopes; empty when there are none.
 */
export function scopeOverlapProblems(scopes: readonly NamedTemplate[], maxIdentityLength = MAX_IDENTITY_LENGTH): string[] {
  const problems: string[] = [];
  const names = new Set(scopes.map((scope) => scope.name));
  for (const scope of scopes) {
    for (const other of scope.overlaps) {
      if (other === scope.name || !names.has(other)) problems.push(`scope "${scope.name}": "overlaps" names "${other}", which is not another configured scope`);
    }
  }
  for (const [index, first] of scopes.entries()) {
    for (const second of scopes.slice(index + 1)) {
      const witness = prefixOverlap(first.template, second.template, maxIdentityLength);
      const declared = first.overlaps.includes(second.name) || second.overlaps.includes(first.name);
      if (witness !== undefined && !declared) {
        problems.push(
          `scopes "${first.name}" and "${second.name}" overlap: ${gives(first.name, witness.first, witness.firstPrefix)} and ${gives(second.name, witness.second, witness.secondPrefix)}, ` +
            `${relation(witness.firstPrefix, witness.secondPrefix)}; if that is intended, add "overlaps": ["${second.name}"] to scope "${first.name}"`,
        );
      }
      if (witness === undefined && declared) {
        problems.push(`scopes "${first.name}" and "${second.name}" are declared to overlap, but their prefixes cannot; remove the declaration`);
      }
    }
  }
  return problems;
}

function gives(scope: string, identity: string | undefined, prefix: string): string {
  return `"${scope}" gives ${identity === undefined ? 'every identity' : `the identity "${identity}"`} ${prefix}`;
}

function relation(first: string, second: string): string {
  if (first === second) return 'the same prefix';
  return first.startsWith(second) ? `and ${second} contains ${first}` : `and ${first} contains ${second}`;
}
