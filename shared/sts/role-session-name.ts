import { createHash } from 'node:crypto';

const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,32}$/;
const HASH_LENGTH = 8;
/** The shape of a hashed name's end; an identity ending so is hashed too, so it cannot pose as another. */
const HASHED_SUFFIX = new RegExp(`-[0-9a-f]{${HASH_LENGTH}}$`);

/**
 * The RoleSessionName for an identity, so that ActionTrail shows who asked: the identity itself
 * when it is 2 to 32 characters of `A-Z a-z 0-9 . @ _ -` (and does not end like a hashed name);
 * otherwise its allowed characters, cut to fit, followed by `-` and a short hash of the whole
 * identity, so distinct identities stay distinct.
 *
 * @example
 * ```ts
 * roleSessionName('alice');             // 'alice'
 * roleSessionName('auth0|5f7c8ec7c33c6c004bbafe82'); // 'auth05f7c8ec7c33c6c004b-1a2b3c4d'
 * ```
 */
export function roleSessionName(identity: string): string {
  if (SESSION_NAME.test(identity) && !HASHED_SUFFIX.test(identity)) return identity;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, HASH_LENGTH);
  const readable = identity.replace(/[^A-Za-z0-9.@_-]/g, '').slice(0, 32 - HASH_LENGTH - 1);
  return `${readable}-${hash}`;
}
