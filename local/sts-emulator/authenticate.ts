/**
 * Authenticating an RPC request as STS does: common parameters, API version, signature method,
 * timestamp window, nonce reuse, the caller's key, the signature and the security token.
 */
import { StsRefusal } from './errors';
import { type Parameters, parseTimestamp, requireCommonParameters, requireValue, valueOf } from './parameters';
import { constantTimeEqual, requireSignature } from './signature';

/** An access key the emulator knows; `expiresAtMs` for keys it issued itself. */
export interface CallerKey {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  expiresAtMs?: number;
  /** The RAM principal the key acts as: a user ARN, or the ARN of the role whose session it is. */
  principal: string;
}

const API_VERSION = '2015-04-01';
const REQUEST_WINDOW_MS = 15 * 60 * 1000;

/** Signature nonces seen within the request window. */
export class NonceLedger {
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  requireUnused(nonce: string): void {
    const expiresAtMs = this.used.get(nonce);
    if (expiresAtMs !== undefined && expiresAtMs > this.now()) {
      throw new StsRefusal(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    }
  }

  remember(nonce: string): void {
    const now = this.now();
    for (const [used, expiresAtMs] of this.used) {
      if (expiresAtMs > now) break;
      this.used.delete(used);
    }
    this.used.delete(nonce);
    this.used.set(nonce, now + REQUEST_WINDOW_MS);
  }

  clear(): void {
    this.used.clear();
  }
}

/** What {@link authenticate} needs: the clock, the nonces seen and the keys known. */
export interface Authenticator {
  readonly now: () => number;
  readonly nonces: NonceLedger;
  readonly findKey: (accessKeyId: string) => CallerKey | undefined;
}

/** The caller's key, once the request proves it holds it; else STS's refusal. */
export function authenticate(method: 'GET' | 'POST', parameters: Parameters, context: Authenticator): CallerKey {
  requireCommonParameters(parameters);
  requireValue(parameters, 'Version', API_VERSION, 'InvalidVersion', 'Specified parameter Version is not valid.');
  requireValue(parameters, 'SignatureMethod', 'HMAC-SHA1', 'InvalidParameter');
  requireValue(parameters, 'SignatureVersion', '1.0', 'InvalidParameter');
  requireFreshTimestamp(valueOf(parameters, 'Timestamp'), context.now());
  const nonce = valueOf(parameters, 'SignatureNonce');
  context.nonces.requireUnused(nonce);
  const caller = context.findKey(valueOf(parameters, 'AccessKeyId'));
  if (!caller) throw new StsRefusal(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  requireSignature(method, parameters, caller.accessKeySecret);
  context.nonces.remember(nonce);
  requireSecurityToken(caller, parameters.get('SecurityToken') || undefined, context.now());
  return caller;
}

function requireFreshTimestamp(timestamp: string, nowMs: number): void {
  const timeMs = parseTimestamp(timestamp);
  if (timeMs === undefined) {
    throw new StsRefusal(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
  }
  if (Math.abs(nowMs - timeMs) > REQUEST_WINDOW_MS) {
    throw new StsRefusal(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  }
}

function requireSecurityToken(caller: CallerKey, securityToken: string | undefined, nowMs: number): void {
  if (caller.accessKeyId.startsWith('STS.') && securityToken === undefined) {
    throw new StsRefusal(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');
  }
  if (!constantTimeEqual(securityToken ?? '', caller.securityToken ?? '')) {
    throw new StsRefusal(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'The security token you provided does not match the access key.',
    );
  }
  if (caller.expiresAtMs !== undefined && nowMs >= caller.expiresAtMs) {
    throw new StsRefusal(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
  }
}
