import { TvmError } from '../errors';
import type { UploadLimits } from './upload-limits';

/**
 * Scope configuration: named grants of operations on a key prefix. A prefix template is literal
 * text with at most one placeholder, `${<identity claim>}`, which must be followed by `/`, so the
 * identity `user1` can never reach `user10/`.
 */

/** Operations a scope may grant. */
export type ScopeAction = 'read' | 'write' | 'delete' | 'list';

/** All {@link ScopeAction}s, in the order policies list them. */
export const SCOPE_ACTIONS: readonly ScopeAction[] = ['read', 'write', 'delete', 'list'];

/** One scope: which operations, under which key prefix template, and what uploads it accepts. */
export interface ScopeDefinition {
  readonly prefix: string;
  readonly actions: readonly ScopeAction[];
  /**
   * Other scopes whose prefixes this one may overlap across users, on purpose (such as a team
   * folder inside the users' folders). Any other overlap refuses the configuration at cold start.
   */
  readonly overlaps?: readonly string[];
  readonly upload?: UploadLimits;
}

/** Scope name → definition. */
export type ScopeConfiguration = Readonly<Record<string, ScopeDefinition>>;

/** A parsed prefix template: `head` + identity + `tail`, or a literal `head` when `tail` is absent. */
export interface PrefixTemplate {
  readonly head: string;
  readonly tail?: string;
}

/** The scope configuration used when TVM_SCOPES is not set: `user`, read and write under `users/${claim}/`. */
export function defaultScopes(identityClaim: string): ScopeConfiguration {
  return { user: { prefix: `users/\${${identityClaim}}/`, actions: ['read', 'write'] } };
}

const SEGMENT = /^[A-Za-z0-9._@=+-]+$/;

/**
 * Parses a prefix template for the given identity claim.
 *
 * @returns the template, or a sentence saying what is wrong with it.
 */
export function parsePrefixTemplate(template: string, identityClaim: string): PrefixTemplate | string {
  const placeholder = `\${${identityClaim}}`;
  const parts = template.split(placeholder);
  if (parts.length > 2) return `it may hold the placeholder ${placeholder} only once`;
  const [head = '', tail] = parts;
  if (tail !== undefined && !tail.startsWith('/')) return `the placeholder ${placeholder} must be followed by "/"`;
  if (`${head}${tail ?? ''}`.includes('${')) return `its only placeholder may be ${placeholder}`;
  if (!template.endsWith('/')) return 'it must end with "/"';
  if (template.startsWith('/')) return 'it must not start with "/"';
  const segments = parts.join('x').slice(0, -1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'it must not hold an empty path segment ("//")';
    if (segment === '.' || segment === '..') return 'it must not hold "." or ".." segments';
    if (!SEGMENT.test(segment)) return 'its literal text may hold only letters, digits, "/" and . _ @ = + -';
  }
  return tail === undefined ? { head } : { head, tail };
}

/** A scope chosen for a request. */
export interface SelectedScope {
  readonly name: string;
  readonly definition: ScopeDefinition;
}

/**
 * The scope a request asked for, or the default scope when it named none.
 *
 * @throws {@link TvmError} 400 `MissingScope` when none was named and there is no default;
 *   403 `UnknownScope` for a name that is not configured.
 */
export function selectScope(scopes: ScopeConfiguration, requested: string | undefined, defaultScope: string | undefined): SelectedScope {
  const name = requested ?? defaultScope;
  if (name === undefined) {
    throw new TvmError(400, 'MissingScope', `Name a scope with the "scope" parameter: one of ${Object.keys(scopes).join(', ')}.`);
  }
  const definition = Object.hasOwn(scopes, name) ? scopes[name] : undefined;
  if (definition === undefined) {
    const shown = /^[a-z][a-z0-9_-]{0,31}$/.test(name) ? `"${name}"` : 'requested';
    throw new TvmError(403, 'UnknownScope', `The ${shown} scope is not configured for this service.`);
  }
  return { name, definition };
}
