/**
 * Evaluates a session policy the way RAM does for one action on one resource: an explicit Deny
 * wins, otherwise an Allow is needed. Conditions are evaluated only for the `StringEquals` and
 * `StringLike` operators over keys the caller supplies (such as `oss:Prefix` of a listing): any
 * other condition makes an Allow grant nothing and a Deny deny, so a doubt always refuses.
 */
import type { PolicyStatement, SessionPolicy } from './session-policy';

/** The outcome of {@link evaluatePolicy}. */
export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * Decides whether `policy` allows `action` (such as `oss:PutObject`) on `resource` (such as
 * `acs:oss:*:*:photos/users/alice/a.jpg`), with the request's condition keys in `context` (such as
 * `{"oss:Prefix": "users/alice/"}`).
 */
export function evaluatePolicy(policy: SessionPolicy, action: string, resource: string, context: Readonly<Record<string, string>> = {}): PolicyDecision {
  const applicable = policy.Statement.filter((statement) => covers(statement, action, resource));
  if (applicable.some((statement) => statement.Effect === 'Deny' && conditionOf(statement, context) !== 'false')) return 'explicit-deny';
  const allowed = applicable.some((statement) => statement.Effect === 'Allow' && conditionOf(statement, context) === 'true');
  return allowed ? 'allow' : 'implicit-deny';
}

/** Whether a statement's condition holds: `true`, `false`, or `unknown` (an operator or key not understood here). */
function conditionOf(statement: PolicyStatement, context: Readonly<Record<string, string>>): 'true' | 'false' | 'unknown' {
  let outcome: 'true' | 'false' | 'unknown' = 'true';
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, patterns] of Object.entries(keys)) {
      const value = Object.hasOwn(context, key) ? context[key] : undefined;
      if ((operator !== 'StringEquals' && operator !== 'StringLike') || value === undefined) {
        outcome = 'unknown';
        continue;
      }
      const holds = patterns.some((pattern) => (operator === 'StringLike' ? wildcardMatch(pattern, value) : pattern === value));
      if (!holds) return 'false';
    }
  }
  return outcome;
}

function covers(statement: PolicyStatement, action: string, resource: string): boolean {
  return (
    statement.Action.some((pattern) => wildcardMatch(pattern.toLowerCase(), action.toLowerCase())) &&
    statement.Resource.some((pattern) => wildcardMatch(pattern, resource))
  );
}

/** RAM wildcards: `*` matches any run of characters (`/` included), `?` exactly one. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (star !== -1) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
