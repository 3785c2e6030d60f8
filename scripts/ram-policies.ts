/**
 * `npm run ram-policies`: prints the four RAM policy documents a deployment needs, from the same
 * TVM_* settings the functions read (TVM_BUCKET, TVM_SCOPES, TVM_IDENTITY_CLAIM, TVM_ROLE_ARN) plus
 * TVM_FUNCTION_ROLE_ARN. Paste them into the RAM console, or into `aliyun ram` commands.
 */
import { fileURLToPath } from 'node:url';
import { validateScopes } from '../shared/config/validators.generated.js';
import { appRolePermissionPolicy, appRoleTrustPolicy, functionRolePermissionPolicy, functionRoleTrustPolicy } from '../shared/policy/role-policies';
import { type ScopeConfiguration, defaultScopes } from '../shared/policy/scopes';
import { scopeConfigurationProblems } from '../shared/policy/session-policy';

/** The policy documents, titled, for an environment; throws an Error naming what is missing or wrong. */
export function ramPolicies(environment: Readonly<Record<string, string | undefined>>): { title: string; document: unknown }[] {
  const bucket = environment['TVM_BUCKET'];
  if (!bucket) throw new Error('Set TVM_BUCKET (and TVM_SCOPES if you configure scopes) first.');
  const claim = environment['TVM_IDENTITY_CLAIM'] || 'sub';
  const scopes = readScopes(environment['TVM_SCOPES'], claim, bucket);
  const appRole = environment['TVM_ROLE_ARN'] || 'acs:ram::<account-id>:role/oss-tvm-app';
  const functionRole = environment['TVM_FUNCTION_ROLE_ARN'] || 'acs:ram::<account-id>:role/oss-tvm-function';
  return [
    { title: `Function role (${functionRole}): trust policy`, document: functionRoleTrustPolicy() },
    { title: 'Function role: permission policy', document: functionRolePermissionPolicy(appRole) },
    { title: `App role (${appRole}): trust policy`, document: appRoleTrustPolicy(functionRole) },
    { title: 'App role: permission policy', document: appRolePermissionPolicy(scopes, bucket, claim) },
  ];
}

function readScopes(text: string | undefined, claim: string, bucket: string): ScopeConfiguration {
  if (!text) return defaultScopes(claim);
  let scopes: unknown;
  try {
    scopes = JSON.parse(text);
  } catch {
    throw new Error('TVM_SCOPES is not valid JSON.');
  }
  if (!validateScopes(scopes)) throw new Error('TVM_SCOPES does not have the documented shape (see README, "Scopes and policies").');
  const problems = scopeConfigurationProblems(scopes as ScopeConfiguration, bucket, claim);
  if (problems.length > 0) throw new Error(`TVM_SCOPES is invalid: ${problems.join('; ')}.`);
  return scopes as ScopeConfiguration;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    for (const { title, document } of ramPolicies(process.env)) console.log(`# ${title}\n${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
  }
}
