/**
 * RAM policy evaluation as OSS applies it: a statement applies when its Action, Resource and
 * Condition match; an applicable Deny wins; otherwise an applicable Allow allows; otherwise the
 * request is implicitly denied. A session's permissions are its role's policy intersected with the
 * session policy it was issued with.
 */

/** What a request asks to do. */
export interface PolicyRequest {
  /** e.g. `oss:GetObject`. */
  action: string;
  /** e.g. `acs:oss:cn-hangzhou:1234567890123456:bucket/users/alice/a.txt`. */
  resource: string;
  /** Condition keys, e.g. `{ 'oss:Prefix': 'users/alice/' }`; compared case-insensitively by name. */
  context?: Readonly<Record<string, string>>;
}

export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

const patternCache = new Map<string, RegExp>();

/** `*` matches any run of characters (`/` included), `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const cacheKey = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let regex = patternCache.get(cacheKey);
  if (!regex) {
    const body = [...pattern].map((character) => (character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
    regex = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    patternCache.set(cacheKey, regex);
  }
  return regex.test(value);
}

function strings(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean').map(String);
}

function contextValue(context: Readonly<Record<string, string>>, key: string): string | undefined {
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

function operatorMatches(operator: string, actual: string | undefined, expected: string[]): boolean {
  switch (operator) {
    case 'StringEquals':
      return actual !== undefined && expected.includes(actual);
    case 'StringNotEquals':
      return actual === undefined || !expected.includes(actual);
    case 'StringEqualsIgnoreCase':
      return actual !== undefined && expected.some((value) => value.toLowerCase() === actual.toLowerCase());
    case 'StringNotEqualsIgnoreCase':
      return actual === undefined || !expected.some((value) => value.toLowerCase() === actual.toLowerCase());
    case 'StringLike':
      return actual !== undefined && expected.some((value) => wildcardMatch(value, actual));
    case 'StringNotLike':
      return actual === undefined || !expected.some((value) => wildcardMatch(value, actual));
    default:
      // Operators the emulator does not evaluate never match: an Allow with one grants nothing.
      return false;
  }
}

function conditionMatches(condition: unknown, context: Readonly<Record<string, string>>): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (typeof block !== 'object' || block === null) return false;
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      if (!operatorMatches(operator, contextValue(context, key), strings(expected) ?? [])) return false;
    }
  }
  return true;
}

function listMatches(positive: unknown, negative: unknown, value: string, ignoreCase: boolean): boolean {
  const included = strings(positive);
  if (included !== undefined) return included.some((pattern) => wildcardMatch(pattern, value, ignoreCase));
  const excluded = strings(negative);
  if (excluded !== undefined) return !excluded.some((pattern) => wildcardMatch(pattern, value, ignoreCase));
  return false;
}

function statementsOf(policy: unknown): Statement[] {
  let document = policy;
  if (typeof document === 'string') {
    try {
      document = JSON.parse(document) as unknown;
    } catch {
      return [];
    }
  }
  if (typeof document !== 'object' || document === null) return [];
  const statements = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  return list.filter((item): item is Statement => typeof item === 'object' && item !== null);
}

/** The decision of one policy document (JSON text or object); a malformed document allows nothing. */
export function evaluatePolicy(policy: unknown, request: PolicyRequest): PolicyDecision {
  const context = request.context ?? {};
  let allowed = false;
  for (const statement of statementsOf(policy)) {
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') continue;
    const applies =
      listMatches(statement.Action, statement.NotAction, request.action, true) &&
      listMatches(statement.Resource, statement.NotResource, request.resource, false) &&
      conditionMatches(statement.Condition, context);
    if (!applies) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

export interface AuthorizationInput {
  /** The role's permission policy; undefined when the role has none (nothing is allowed). */
  rolePolicy: unknown;
  /** The session policy the credentials were issued with; undefined when none (the role's policy alone decides). */
  sessionPolicy?: unknown;
}

export interface AuthorizationResult {
  allowed: boolean;
  role: PolicyDecision;
  session: PolicyDecision | 'none';
}

/** Role policy ∩ session policy: both must allow, and an explicit Deny in either denies. */
export function authorizeRequest(input: AuthorizationInput, request: PolicyRequest): AuthorizationResult {
  const role = input.rolePolicy === undefined ? 'implicit-deny' : evaluatePolicy(input.rolePolicy, request);
  const session = input.sessionPolicy === undefined ? 'none' : evaluatePolicy(input.sessionPolicy, request);
  return { allowed: role === 'allow' && (session === 'none' || session === 'allow'), role, session };
}
