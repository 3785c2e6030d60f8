import { TvmError } from '../errors';

/** The longest identity value that may enter a policy. */
export const MAX_IDENTITY_LENGTH = 64;

const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@|-]*$/;

/**
 * Why a value cannot be an identity, or `undefined` when it can.
 *
 * An identity enters a policy only if it is 1 to {@link MAX_IDENTITY_LENGTH} ASCII characters of
 * `A-Z a-z 0-9 . _ @ | -`, starts with a letter or digit, and holds no `..`. Everything else
 * (wildcards, `/`, quotes, spaces, control characters, `${`, non-ASCII) is refused, never escaped.
 */
export function identityProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'it is not a string';
  if (value.length === 0) return 'it is empty';
  if (value.length > MAX_IDENTITY_LENGTH) return `it is longer than ${MAX_IDENTITY_LENGTH} characters`;
  if (!IDENTITY_PATTERN.test(value)) {
    return 'it may hold only letters, digits and . _ @ | - and must start with a letter or digit';
  }
  if (value.includes('..')) return 'it contains ".."';
  return undefined;
}

/**
 * Returns `value` when it is a safe identity (see {@link identityProblem}).
 *
 * @throws {@link TvmError} 403 `InvalidIdentity` naming the claim and the reason.
 */
export function requireSafeIdentity(value: unknown, claim: string): string {
  const problem = identityProblem(value);
  if (problem !== undefined) {
    throw new TvmError(403, 'InvalidIdentity', `The token's "${claim}" claim cannot be used as an identity: ${problem}.`);
  }
  return value as string;
}
