/** The RAM roles of the emulated account: ARNs, session-duration limits, lookup as AssumeRole does it. */
import { StsRefusal } from './errors';
import { DEFAULT_SESSION_DURATION, MIN_SESSION_DURATION, type Parameters, isIntegerIn, requireParameter } from './parameters';
import { randomDigits } from './identifiers';

/** A RAM role that exists in the emulated account. */
export interface EmulatorRole {
  /** `acs:ram::<accountId>:role/<roleName>`. */
  arn: string;
  /** Longest `DurationSeconds` the role allows, in seconds. Default 3600. */
  maxSessionDuration?: number;
}

export interface StoredRole {
  arn: string;
  roleName: string;
  roleId: string;
  maxSessionDuration: number;
}

const ROLE_ARN = /^acs:ram::(\d+):[Rr][Oo][Ll][Ee]\/([A-Za-z0-9._-]{1,64})$/;
const MAX_ROLE_SESSION_DURATION = 43200;

/** The roles by ARN (ARNs compare case-insensitively, as RAM's do). */
export class RoleTable {
  private readonly roles = new Map<string, StoredRole>();

  /**
   * Registers a role (replacing one with the same ARN).
   *
   * @throws TypeError when the ARN is not `acs:ram::<digits>:role/<name>`; RangeError when
   * `maxSessionDuration` is not an integer in 900..43200.
   */
  add(role: EmulatorRole): void {
    const match = ROLE_ARN.exec(role.arn);
    if (!match) throw new TypeError(`Not a RAM role ARN: ${role.arn}`);
    const maxSessionDuration = role.maxSessionDuration ?? DEFAULT_SESSION_DURATION;
    if (!isIntegerIn(maxSessionDuration, MIN_SESSION_DURATION, MAX_ROLE_SESSION_DURATION)) {
      throw new RangeError(`maxSessionDuration must be an integer in 900..43200: ${maxSessionDuration}`);
    }
    this.roles.set(roleKey(role.arn), {
      arn: role.arn,
      roleName: match[2] ?? '',
      roleId: randomDigits(19),
      maxSessionDuration,
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
