/**
 * Evaluates a session policy the way RAM does for one action on one resource: an explicit Deny
 * wins, otherwise an Allow is needed. Conditions are not evaluated here: a conditional Allow
 * grants nothing and a conditional Deny denies, so a doubt always refuses.
 */
import type { PolicyStatement, SessionPolicy } from './session-policy';

/** The outcome of {@link evaluatePolicy}. */
export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * Decides whether `policy` allows `action` (such as `oss:PutObject`) on `resource` (such as
 * `acs:oss:*:*:photos/users/alice/a.jpg`).
 */
export function evaluatePolicy(policy: SessionPolicy, action: string, resource: string): PolicyDecision {
  const applicable = policy.Statement.filter((statement) => covers(statement, action, resource));
  if (applicable.some((statement) => statement.Effect === 'Deny')) return 'explicit-deny';
  const allowed = applicable.some((statement) => statement.Effect === 'Allow' && statement.Condition === undefined);
  return allowed ? 'allow' : 'implicit-deny';
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
