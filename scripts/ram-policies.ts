/**
 * `npm run ram-policies`: prints the four RAM policy documents a deployment needs, from the same
 * TVM_* settings the functions read (TVM_BUCKET, TVM_SCOPES, TVM_IDENTITY_CLAIM, TVM_ROLE_ARN) plus
 * TVM_FUNCTION_ROLE_ARN. Paste them into the RAM console, or into `aliyun ram` commands.
 *
 * The settings are checked by the functions' own cold-start validation ({@link loadConfig}), so a
 * setting the functions would refuse is refused here too, before any role is created.
 */
import { fileURLToPath } from 'node:url';
import { type Environment, loadConfig } from '../shared/config/load-config';
import { environmentSchema } from '../shared/config/schemas';
import { TvmError } from '../shared/errors';
import { appRolePermissionPolicy, appRoleTrustPolicy, functionRolePermissionPolicy, functionRoleTrustPolicy } from '../shared/policy/role-policies';
import { printUsageIfAsked } from './cli';

export const RAM_POLICIES_USAGE = `Usage: npm run -s ram-policies [-- --help]

Prints the four RAM policy documents a deployment needs (function role: trust and permission;
app role: trust and permission), for the settings in the environment:

  TVM_BUCKET             the bucket (required)
  TVM_SCOPES             the scope configuration (default: the "user" scope, read and write under users/\${sub}/)
  TVM_IDENTITY_CLAIM     the identity claim of the prefix templates (default sub)
  TVM_ROLE_ARN           the app role (default: a placeholder, acs:ram::<account-id>:role/oss-tvm-app)
  TVM_FUNCTION_ROLE_ARN  the function role (default: a placeholder, acs:ram::<account-id>:role/oss-tvm-function)

Every TVM_* setting that is set is checked as the functions check it at cold start; one they would
refuse is refused here too. Exit codes: 0 printed, 2 a setting is missing or invalid.`;

const APP_ROLE_PLACEHOLDER = 'acs:ram::<account-id>:role/oss-tvm-app';
const FUNCTION_ROLE_PLACEHOLDER = 'acs:ram::<account-id>:role/oss-tvm-function';

/**
 * Settings the policies do not depend on, standing in for unset ones so that the functions'
 * validation can run on the rest: it refuses a configuration without them.
 */
const STAND_INS: Readonly<Record<string, string>> = {
  TVM_REGION: 'cn-hangzhou',
  TVM_JWT_ISSUER: 'https://id.example.com/',
  TVM_JWT_AUDIENCE: 'oss-tvm-app',
  TVM_ROLE_ARN: 'acs:ram::1234567890123456:role/oss-tvm-app',
};
const KEY_SOURCES = ['TVM_JWKS_URL', 'TVM_JWT_PUBLIC_KEY', 'TVM_JWT_SECRET'];

/**
 * The policy documents, titled, for an environment.
 *
 * @throws Error naming what is missing or wrong, in the words the functions would use.
 * @example
 * ```ts
 * ramPolicies({ TVM_BUCKET: 'photos' }).map(({ title }) => title);
 * // ['Function role (acs:ram::<account-id>:role/oss-tvm-function): trust policy', …]
 * ```
 */
export function ramPolicies(environment: Environment): { title: string; document: unknown }[] {
  const given = (name: string): string | undefined => environment[name]?.trim() || undefined;
  if (!given('TVM_BUCKET')) throw new Error('Set TVM_BUCKET (and TVM_SCOPES if you configure scopes) first.');
  const functionRole = given('TVM_FUNCTION_ROLE_ARN') ?? FUNCTION_ROLE_PLACEHOLDER;
  if (given('TVM_FUNCTION_ROLE_ARN') && !new RegExp(environmentSchema.properties.TVM_ROLE_ARN.pattern).test(functionRole)) {
    throw new Error('TVM_FUNCTION_ROLE_ARN is invalid: expected the ARN of the function role, such as acs:ram::1234567890123456:role/oss-tvm-function.');
  }
  const standIns = Object.entries(STAND_INS).filter(([name]) => !given(name));
  if (!KEY_SOURCES.some(given)) standIns.push(['TVM_JWT_SECRET', 'a stand-in secret of at least 32 bytes']);
  const config = functionsConfig({ ...environment, ...Object.fromEntries(standIns) });
  const appRole = given('TVM_ROLE_ARN') ?? APP_ROLE_PLACEHOLDER;
  return [
    { title: `Function role (${functionRole}): trust policy`, document: functionRoleTrustPolicy() },
    { title: 'Function role: permission policy', document: functionRolePermissionPolicy(appRole) },
    { title: `App role (${appRole}): trust policy`, document: appRoleTrustPolicy(functionRole) },
    { title: 'App role: permission policy', document: appRolePermissionPolicy(config.scopes, config.bucket, config.jwt.identityClaim) },
  ];
}

/** The configuration as the functions load it; their refusal, reworded for this command. */
function functionsConfig(environment: Environment): ReturnType<typeof loadConfig> {
  try {
    return loadConfig(environment);
  } catch (error) {
    if (!(error instanceof TvmError)) throw error;
    throw new Error(`The functions would refuse these settings: ${error.message.replace(/^The function is misconfigured: /, '')}`);
  }
}

/** Prints the documents for `environment`; returns the exit code. */
export function main(argv: readonly string[], environment: Environment): number {
  if (printUsageIfAsked(argv, RAM_POLICIES_USAGE)) return 0;
  if (argv.length > 0) {
    process.stderr.write(`ram-policies: unexpected argument ${JSON.stringify(argv[0])}; the settings come from the environment. Run with --help for usage.\n`);
    return 2;
  }
  try {
    for (const { title, document } of ramPolicies(environment)) process.stdout.write(`# ${title}\n${JSON.stringify(document, null, 2)}\n\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`ram-policies: ${(error as Error).message}\n`);
    return 2;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2), process.env);
