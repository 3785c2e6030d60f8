/**
 * The RAM policies a deployment needs, derived from the scope configuration so that the app role
 * holds exactly the OSS actions its scopes can grant, on the prefixes they can reach, and no more.
 */
import { type ScopeAction, type ScopeConfiguration, SCOPE_ACTIONS } from './scopes';
import { OBJECT_ACTIONS, type PolicyStatement, type SessionPolicy } from './session-policy';

/** A RAM trust policy (who may assume a role). */
export interface TrustPolicy {
  readonly Version: '1';
  readonly Statement: readonly { Effect: 'Allow'; Action: 'sts:AssumeRole'; Principal: Readonly<Record<string, readonly string[]>> }[];
}

/**
 * The app role's permission policy: for each scope, its actions on `<bucket>/<prefix with the
 * identity as *>*`, and ListObjects only under those prefixes.
 */
export function appRolePermissionPolicy(scopes: ScopeConfiguration, bucket: string, identityClaim: string): SessionPolicy {
  const placeholder = `\${${identityClaim}}`;
  const prefixesByAction = new Map<ScopeAction, Set<string>>();
  for (const scope of Object.values(scopes)) {
    const prefix = scope.prefix.split(placeholder).join('*');
    for (const action of scope.actions) prefixesByAction.set(action, (prefixesByAction.get(action) ?? new Set()).add(prefix));
  }
  const statements: PolicyStatement[] = [];
  for (const action of SCOPE_ACTIONS) {
    const prefixes = [...(prefixesByAction.get(action) ?? [])].sort();
    if (prefixes.length === 0) continue;
    statements.push(
      action === 'list'
        ? { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:*:${bucket}`], Condition: { StringLike: { 'oss:Prefix': prefixes.map((prefix) => `${prefix}*`) } } }
        : { Effect: 'Allow', Action: [...OBJECT_ACTIONS[action]], Resource: prefixes.map((prefix) => `acs:oss:*:*:${bucket}/${prefix}*`) },
    );
  }
  return { Version: '1', Statement: statements };
}

/** The function role's permission policy: AssumeRole on the app role, nothing else. */
export function functionRolePermissionPolicy(appRoleArn: string): SessionPolicy {
  return { Version: '1', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [appRoleArn] }] };
}

/** The function role's trust policy: Function Compute may assume it. */
export function functionRoleTrustPolicy(): TrustPolicy {
  return { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }] };
}

/** The app role's trust policy: only the function role may assume it. */
export function appRoleTrustPolicy(functionRoleArn: string): TrustPolicy {
  return { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [functionRoleArn] } }] };
}
