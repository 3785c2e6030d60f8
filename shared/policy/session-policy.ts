/**
 * The session policy builder: identity + scope → the least-privilege RAM policy passed to STS
 * AssumeRole. Pure and deterministic: the same input always yields byte-identical JSON.
 */
import { TvmError } from '../errors';
import { MAX_IDENTITY_LENGTH, requireSafeIdentity } from './identity';
import { type NamedTemplate, scopeOverlapProblems } from './scope-overlap';
import { type PrefixTemplate, type ScopeAction, type ScopeConfiguration, type ScopeDefinition, SCOPE_ACTIONS, parsePrefixTemplate } from './scopes';

/** The conservative STS limit on the Policy parameter, in characters. */
export const MAX_POLICY_LENGTH = 1024;

/** A RAM policy statement as session policies use it. */
export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** A RAM policy document (`Version` "1"). */
export interface SessionPolicy {
  readonly Version: '1';
  readonly Statement: readonly PolicyStatement[];
}

/** A built policy with what callers need besides the document. */
export interface BuiltPolicy {
  readonly document: SessionPolicy;
  /** The exact JSON sent to STS. */
  readonly json: string;
  /** The object key prefix this policy grants, e.g. `users/alice/`. */
  readonly prefix: string;
}

/** Input of {@link buildSessionPolicy}. */
export interface PolicyRequest {
  readonly bucket: string;
  readonly scope: ScopeDefinition;
  /** The verified identity value, not yet validated. */
  readonly identity: unknown;
  /** The claim the identity came from; also the placeholder name in prefix templates. */
  readonly identityClaim: string;
}

/** The object actions each scope action grants. */
export const OBJECT_ACTIONS: Readonly<Record<Exclude<ScopeAction, 'list'>, readonly string[]>> = {
  read: ['oss:GetObject'],
  write: ['oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'],
  delete: ['oss:DeleteObject'],
};

/**
 * Builds the session policy that grants `identity` the scope's operations under its prefix.
 *
 * @example
 * ```ts
 * const { json, prefix } = buildSessionPolicy({
 *   bucket: 'photos', identity: 'alice', identityClaim: 'sub',
 *   scope: { prefix: 'users/${sub}/', actions: ['read', 'write'] },
 * });
 * // prefix === 'users/alice/'; json grants oss:GetObject, oss:PutObject… on photos/users/alice/*
 * ```
 * @throws {@link TvmError} 403 `InvalidIdentity` for an unsafe identity; 500 `PolicyTooLarge`
 *   when the policy exceeds {@link MAX_POLICY_LENGTH} characters.
 */
export function buildSessionPolicy(request: PolicyRequest): BuiltPolicy {
  const template = parsePrefixTemplate(request.scope.prefix, request.identityClaim);
  if (typeof template === 'string') {
    throw new TvmError(500, 'InvalidConfiguration', `The scope prefix template is invalid: ${template}.`);
  }
  const identity = requireSafeIdentity(request.identity, request.identityClaim);
  const built = policyFor(request.bucket, resolvePrefix(template, identity), request.scope.actions);
  if (built.json.length > MAX_POLICY_LENGTH) {
    throw new TvmError(500, 'PolicyTooLarge', `The session policy has ${built.json.length} characters; STS accepts at most ${MAX_POLICY_LENGTH}.`);
  }
  return built;
}

/**
 * Checks a scope configuration once, at cold start: every template and action list (names and
 * the shape are the schema's job), that the longest possible policy of each scope stays within
 * {@link MAX_POLICY_LENGTH}, and that no two scopes overlap across users unless declared
 * (see {@link scopeOverlapProblems}).
 *
 * @returns one sentence per problem; empty when the configuration is sound.
 */
export function scopeConfigurationProblems(scopes: ScopeConfiguration, bucket: string, identityClaim: string): string[] {
  const problems: string[] = [];
  const templates: NamedTemplate[] = [];
  for (const [name, scope] of Object.entries(scopes)) {
    if (!SCOPE_ACTIONS.some((action) => scope.actions.includes(action))) {
      problems.push(`scope "${name}": it grants no action (choose from ${SCOPE_ACTIONS.join(', ')})`);
      continue;
    }
    const template = parsePrefixTemplate(scope.prefix, identityClaim);
    if (typeof template === 'string') {
      problems.push(`scope "${name}": prefix "${scope.prefix}" is invalid: ${template}`);
      continue;
    }
    const longest = policyFor(bucket, resolvePrefix(template, 'x'.repeat(MAX_IDENTITY_LENGTH)), scope.actions);
    if (longest.json.length > MAX_POLICY_LENGTH) {
      problems.push(`scope "${name}": its policy can reach ${longest.json.length} characters with a ${MAX_IDENTITY_LENGTH}-character identity; STS accepts at most ${MAX_POLICY_LENGTH}`);
    }
    templates.push({ name, template, overlaps: scope.overlaps ?? [] });
  }
  // Overlaps are judged once every template is sound.
  return problems.length > 0 ? problems : scopeOverlapProblems(templates);
}

function resolvePrefix(template: PrefixTemplate, identity: string): string {
  return template.tail === undefined ? template.head : `${template.head}${identity}${template.tail}`;
}

function policyFor(bucket: string, prefix: string, actions: readonly ScopeAction[]): BuiltPolicy {
  const granted = SCOPE_ACTIONS.filter((action) => actions.includes(action));
  const objectActions = granted.flatMap((action) => (action === 'list' ? [] : OBJECT_ACTIONS[action]));
  const statements: PolicyStatement[] = [];
  if (objectActions.length > 0) {
    statements.push({ Effect: 'Allow', Action: objectActions, Resource: [`acs:oss:*:*:${bucket}/${prefix}*`] });
  }
  if (granted.includes('list')) {
    statements.push({
      Effect: 'Allow',
      Action: ['oss:ListObjects'],
      Resource: [`acs:oss:*:*:${bucket}`],
      Condition: { StringLike: { 'oss:Prefix': [`${prefix}*`] } },
    });
  }
  const document: SessionPolicy = { Version: '1', Statement: statements };
  return { document, json: JSON.stringify(document), prefix };
}
