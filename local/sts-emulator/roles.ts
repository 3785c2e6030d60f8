/**
 * The RAM roles of the emulated account: ARNs, session-duration limits, trust policies, and lookup as
 * AssumeRole does it.
 *
 * A role's trust policy names the RAM principals that may assume it (`"Principal": {"RAM": [...]}`):
 * a role (any session of it), a RAM user, or `acs:ram::<account>:root` for every RAM user and role of
 * that account, which is what RAM writes for the trusted entity "Alibaba Cloud account". AssumeRole by
 * anyone else fails as STS fails it: 403 `NoPermission`, "No permission perform sts:AssumeRole on this
 * Role. Maybe you are not authorized to perform sts:AssumeRole or the specified role does not trust you"
 * (STS's answer as ali-oss's STS client received it, github.com/rockuw/node-sts-app-server issue #2; the
 * same code and message in OSS's "STS common errors" table, alibabacloud.com/help/doc-detail/42775.htm, row 8;
 * the cause "The role's trust policy does not include the calling identity as a principal", RAM FAQ,
 * help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens).
 */
import { StsRefusal } from './errors';
import { DEFAULT_SESSION_DURATION, MIN_SESSION_DURATION, type Parameters, isIntegerIn, requireParameter } from './parameters';
import { randomDigits } from './identifiers';

/** A RAM role that exists in the emulated account. */
export interface EmulatorRole {
  /** `acs:ram::<accountId>:role/<roleName>`. */
  arn: string;
  /** Longest `DurationSeconds` the role allows, in seconds. Default 3600. */
  maxSessionDuration?: number;
  /**
   * The RAM principals its trust policy lets assume it: role ARNs (`acs:ram::<account>:role/<name>`),
   * user ARNs (`acs:ram::<account>:user/<name>`) or `acs:ram::<account>:root` (every RAM user and role
   * of that account). Default: every RAM user and role of the role's own account.
   */
  trustedPrincipals?: readonly string[];
}

export interface StoredRole {
  arn: string;
  roleName: string;
  roleId: string;
  maxSessionDuration: number;
  trustedPrincipals: readonly string[];
}

const ROLE_ARN = /^acs:ram::(\d+):[Rr][Oo][Ll][Ee]\/([A-Za-z0-9._-]{1,64})$/;
const MAX_ROLE_SESSION_DURATION = 43200;
const PRINCIPAL = /^acs:ram::(\d+):(?:root|[Rr][Oo][Ll][Ee]\/[A-Za-z0-9._-]{1,64}|user\/[A-Za-z0-9._@-]{1,64})$/;

/** The roles by ARN (ARNs compare case-insensitively, as RAM's do). */
export class RoleTable {
  private readonly roles = new Map<string, StoredRole>();

  /**
   * Registers a role (replacing one with the same ARN).
   *
   * @throws TypeError when the ARN is not `acs:ram::<digits>:role/<name>` or a trusted principal is
   * not a RAM role, user or account root ARN; RangeError when `maxSessionDuration` is not an integer in 900..43200.
   */
  add(role: EmulatorRole): void {
    const match = ROLE_ARN.exec(role.arn);
    if (!match) throw new TypeError(`Not a RAM role ARN: ${role.arn}`);
    const trustedPrincipals = role.trustedPrincipals ?? [`acs:ram::${match[1] ?? ''}:root`];
    const untrustworthy = trustedPrincipals.find((principal) => !PRINCIPAL.test(principal));
    if (untrustworthy !== undefined) throw new TypeError(`Not a RAM principal ARN: ${untrustworthy}`);
    const maxSessionDuration = role.maxSessionDuration ?? DEFAULT_SESSION_DURATION;
    if (!isIntegerIn(maxSessionDuration, MIN_SESSION_DURATION, MAX_ROLE_SESSION_DURATION)) {
      throw new RangeError(`maxSessionDuration must be an integer in 900..43200: ${maxSessionDuration}`);
    }
    this.roles.set(roleKey(role.arn), {
      arn: role.arn,
      roleName: match[2] ?? '',
      roleId: randomDigits(19),
      maxSessionDuration,
      trustedPrincipals,
    });
  }

  /** The role `RoleArn` names, or STS's refusal when it is malformed or does not exist. */
  require(parameters: Parameters): StoredRole {
    const roleArn = requireParameter(parameters, 'RoleArn');
    if (!ROLE_ARN.test(roleArn)) {
      throw new StsRefusal(400, 'InvalidParameter.RoleArn', 'The parameter RoleArn is wrongly formed.');
    }
    const role = this.roles.get(roleKey(roleArn));
    if (!role) throw new StsRefusal(404, 'EntityNotExist.Role', 'The specified Role not exists.');
    return role;
  }
}

/** The account id inside a role ARN. */
export function accountOf(roleArn: string): string {
  return ROLE_ARN.exec(roleArn)?.[1] ?? '';
}

function roleKey(roleArn: string): string {
  return roleArn.toLowerCase();
}

/**
 * Refuses AssumeRole of `role` by `principal` (the caller's RAM role or user ARN) unless the role's
 * trust policy names it, names its account's root, or names the role whose session it is.
 */
export function requireTrust(role: StoredRole, principal: string): void {
  const account = PRINCIPAL.exec(principal)?.[1];
  const trusted = role.trustedPrincipals.some(
    (trustedPrincipal) => roleKey(trustedPrincipal) === roleKey(principal) || (account !== undefined && trustedPrincipal === `acs:ram::${account}:root`),
  );
  if (!trusted) {
    throw new StsRefusal(
      403,
      'NoPermission',
      'No permission perform sts:AssumeRole on this Role. Maybe you are not authorized to perform sts:AssumeRole or the specified role does not trust you',
    );
  }
}
