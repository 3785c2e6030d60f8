/**
 * The PostObject policy as OSS enforces it, written from the OSS documentation ("PostObject",
 * "Appendix: Policy", and the error references 0006-00000003, -04, -207 to -227), independently of
 * the product's policy builder: the base64 JSON `{"expiration", "conditions"}`, its expiry, and each
 * condition checked against the form fields.
 *
 * Conditions: `{"field": "value"}` (exact match), `["eq" | "starts-with", "$field", "value"]`,
 * `["in" | "not-in", "$field", ["v", …]]`, `["content-length-range", min, max]`. Field names are
 * compared case-insensitively (`$content-type` is the `Content-Type` form field); `bucket` is the
 * request's bucket; a field that is absent has the value `""`.
 */
import { OssError, accessDenied } from '../errors';

/** One condition, as read from the policy. */
export type PolicyCondition =
  | { readonly kind: 'match'; readonly operator: 'eq' | 'starts-with'; readonly field: string; readonly value: string; readonly text: string }
  | { readonly kind: 'list'; readonly operator: 'in' | 'not-in'; readonly field: string; readonly values: readonly string[]; readonly text: string }
  | { readonly kind: 'length'; readonly min: number; readonly max: number };

/** A decoded policy. */
export interface PostPolicy {
  readonly expiration: number;
  readonly conditions: readonly PolicyCondition[];
}

/** What the conditions are checked against. */
export interface PolicySubject {
  /** Form field values by lower-case name (the `key` already expanded). */
  readonly fields: ReadonlyMap<string, string>;
  readonly bucket: string;
  /** The size of the file, in bytes. */
  readonly fileBytes: number;
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/**
 * Decodes the `policy` form field.
 *
 * @throws OssError 400 `InvalidPolicyDocument` for a policy that is not base64 JSON of the
 *   documented shape.
 */
export function decodePolicy(base64: string): PostPolicy {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || Buffer.from(text, 'utf8').toString('base64') !== base64) {
    throw invalid('Invalid Policy: Invalid Base64 Encoding.');
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid('Invalid Policy: Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw invalid('Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = document as Record<string, unknown>;
  if (expiration === undefined) throw invalid('Invalid Policy: Policy missing expiration.', '0006-00000208');
  if (conditions === undefined) throw invalid('Invalid Policy: Policy missing conditions.', '0006-00000207');
  return { expiration: readExpiration(expiration), conditions: readConditions(conditions) };
}

/**
 * Refuses a policy that has expired.
 *
 * @throws OssError 403 `AccessDenied` "Invalid according to Policy: Policy expired.", EC 0006-00000213.
 */
export function requireUnexpired(policy: PostPolicy, nowMs: number): void {
  if (nowMs > policy.expiration) throw accessDenied('Invalid according to Policy: Policy expired.', {}, '0006-00000213');
}

/**
 * Checks every condition against the request.
 *
 * @throws OssError 403 `AccessDenied` "Invalid according to Policy: Policy Condition failed: …"
 *   naming the condition (EC 0006-00000227); 400 `EntityTooLarge` / `EntityTooSmall` for a file
 *   outside `content-length-range` (EC 0006-00000003 / 0006-00000004).
 */
export function requireConditions(policy: PostPolicy, subject: PolicySubject): void {
  for (const condition of policy.conditions) {
    if (condition.kind === 'length') continue;
    const actual = condition.field === 'bucket' ? subject.bucket : subject.fields.get(condition.field) ?? '';
    const holds =
      condition.kind === 'match'
        ? condition.operator === 'eq' ? actual === condition.value : actual.startsWith(condition.value)
        : condition.values.includes(actual) === (condition.operator === 'in');
    if (!holds) throw accessDenied(`Invalid according to Policy: Policy Condition failed: ${condition.text}`, {}, '0006-00000227');
  }
  for (const condition of policy.conditions) {
    if (condition.kind !== 'length') continue;
    if (subject.fileBytes > condition.max) {
      throw new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxSizeAllowed: String(condition.max), ProposedSize: String(subject.fileBytes) }, '0006-00000003');
    }
    if (subject.fileBytes < condition.min) {
      throw new OssError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', { MinSizeAllowed: String(condition.min), ProposedSize: String(subject.fileBytes) }, '0006-00000004');
    }
  }
}

/** True when some condition of the policy constrains `field` (lower-case) to one exact value. */
export function pinsField(policy: PostPolicy, field: string, value: string): boolean {
  return policy.conditions.some((condition) => condition.kind === 'match' && condition.operator === 'eq' && condition.field === field && condition.value === value);
}

function readExpiration(value: unknown): number {
  if (typeof value !== 'string') throw invalid('Invalid Policy: Invalid \'expiration\' value.', '0006-00000210');
  if (value === '') throw invalid('Invalid Policy: Invalid \'expiration\' value.', '0006-00000211');
  const match = ISO_8601.exec(value);
  const time = match === null ? Number.NaN : Date.parse(value);
  if (match === null || !Number.isFinite(time) || new Date(time).toISOString().slice(0, 19) !== value.slice(0, 19)) {
    throw invalid(`Invalid Policy: Invalid 'expiration' value: '${value}'.`, '0006-00000212');
  }
  return time;
}

function readConditions(value: unknown): PolicyCondition[] {
  if (!Array.isArray(value)) throw invalid('Invalid Policy: Invalid \'conditions\' value.', '0006-00000214');
  return value.map((item: unknown) => {
    if (Array.isArray(item)) return listCondition(item);
    if (typeof item === 'object' && item !== null) return simpleCondition(item as Record<string, unknown>);
    throw invalid('Invalid Policy: Invalid Condition: each condition must be a map or a list.', '0006-00000222');
  });
}

function simpleCondition(item: Record<string, unknown>): PolicyCondition {
  const entries = Object.entries(item);
  const [name, value] = entries[0] ?? [];
  if (entries.length !== 1 || name === undefined) {
    throw invalid('Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.');
  }
  if (typeof value !== 'string') throw invalid(`Invalid Policy: Invalid Simple-Condition: value of ${name} must be a string.`);
  const field = name.toLowerCase();
  return { kind: 'match', operator: 'eq', field, value, text: conditionText(['eq', `$${name}`, value]) };
}

function listCondition(item: unknown[]): PolicyCondition {
  const [first, second, third] = item;
  if (typeof first !== 'string' || first.startsWith('$')) throw invalid('Invalid Policy: Invalid Condition: missing matching mode.', '0006-00000216');
  const operator = first.toLowerCase();
  if (operator === 'content-length-range') {
    if (item.length !== 3 || !Number.isSafeInteger(second) || !Number.isSafeInteger(third) || (second as number) < 0 || (third as number) < 0) {
      throw invalid('Invalid Policy: Invalid content-length-range: both values must be non-negative integers.', '0006-00000221');
    }
    if ((third as number) < (second as number)) throw invalid('Invalid Policy: Invalid content-length-range: the maximum is less than the minimum.', '0006-00000219');
    return { kind: 'length', min: second as number, max: third as number };
  }
  if (operator !== 'eq' && operator !== 'starts-with' && operator !== 'in' && operator !== 'not-in') {
    throw invalid(`Invalid Policy: Invalid Condition: unsupported matching mode ${JSON.stringify(first)}.`, '0006-00000217');
  }
  if (item.length !== 3 || typeof second !== 'string' || !second.startsWith('$') || second.length < 2) {
    throw invalid('Invalid Policy: Invalid Condition: expected [mode, "$field", value].', '0006-00000218');
  }
  const field = second.slice(1).toLowerCase();
  const text = conditionText(item);
  if (operator === 'in' || operator === 'not-in') {
    if (!Array.isArray(third) || !third.every((entry) => typeof entry === 'string')) {
      throw invalid(`Invalid Policy: Invalid Condition: ${first} needs a list of strings.`, '0006-00000218');
    }
    return { kind: 'list', operator, field, values: third as string[], text };
  }
  if (typeof third !== 'string') throw invalid('Invalid Policy: Invalid Condition: the value must be a string.', '0006-00000218');
  return { kind: 'match', operator, field, value: third, text };
}

/** A condition written as OSS quotes it in a refusal: `["eq", "$key", "users/alice/a.txt"]`. */
function conditionText(item: readonly unknown[]): string {
  return `[${item.map((part) => (Array.isArray(part) ? `[${part.map((entry) => JSON.stringify(entry)).join(', ')}]` : JSON.stringify(part))).join(', ')}]`;
}

function invalid(message: string, ec?: string): OssError {
  return new OssError(400, 'InvalidPolicyDocument', message, {}, ec);
}
