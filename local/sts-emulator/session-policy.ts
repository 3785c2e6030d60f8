/** AssumeRole's `Policy`: the size limit and the session-policy grammar STS enforces. */
import { StsRefusal } from './errors';
import type { Parameters } from './parameters';

const POLICY_ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;
const CONDITION_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'IpAddress',
  'NotIpAddress',
]);

/** The session policy of the request, if any; STS's refusal when it is too long or not grammatical. */
export function optionalPolicy(parameters: Parameters, maxPolicyLength: number): string | undefined {
  const policy = parameters.get('Policy') || undefined;
  if (policy === undefined) return undefined;
  if (policy.length > maxPolicyLength) {
    throw new StsRefusal(
      400,
      'InvalidParameter.PolicySize',
      `The size of Policy must be smaller than ${maxPolicyLength} bytes.`,
    );
  }
  if (!isValidPolicy(policy)) {
    throw new StsRefusal(400, 'InvalidParameter.PolicyGrammar', 'The parameter Policy has not passed grammar check.');
  }
  return policy;
}

/** True for `{"Version":"1","Statement":[…]}` and nothing else. */
function isValidPolicy(text: string): boolean {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return false;
  }
  return (
    isPlainObject(document) &&
    hasOnlyKeys(document, ['Version', 'Statement']) &&
    document.Version === '1' &&
    Array.isArray(document.Statement) &&
    document.Statement.length > 0 &&
    document.Statement.every(isValidStatement)
  );
}

function isValidStatement(statement: unknown): boolean {
  return (
    isPlainObject(statement) &&
    hasOnlyKeys(statement, ['Effect', 'Action', 'Resource'], ['Condition']) &&
    (statement.Effect === 'Allow' || statement.Effect === 'Deny') &&
    isNonEmptyListOf(statement.Action, isValidAction) &&
    isNonEmptyListOf(statement.Resource, isNonEmptyString) &&
    (statement.Condition === undefined || isValidCondition(statement.Condition))
  );
}

function isValidAction(action: unknown): boolean {
  return typeof action === 'string' && (action === '*' || POLICY_ACTION.test(action));
}

function isValidCondition(condition: unknown): boolean {
  return (
    isPlainObject(condition) &&
    Object.entries(condition).every(
      ([operator, block]) =>
        CONDITION_OPERATORS.has(operator) && isPlainObject(block) && Object.values(block).every(isConditionValue),
    )
  );
}

function isConditionValue(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'))
  );
}

function isNonEmptyListOf(value: unknown, isItem: (item: unknown) => boolean): boolean {
  return Array.isArray(value) ? value.length > 0 && value.every(isItem) : isItem(value);
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnlyKeys(
  object: Record<string, unknown>,
  required: readonly string[],
  optional: readonly string[] = [],
): boolean {
  return (
    required.every((key) => Object.hasOwn(object, key)) &&
    Object.keys(object).every((key) => required.includes(key) || optional.includes(key))
  );
}
