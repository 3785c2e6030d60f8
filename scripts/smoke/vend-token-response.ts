/** Step 1 of the smoke test: what vend-token must answer, checked field by field. */
import { isoSeconds } from '../../shared/time';
import type { CredentialsBody } from '../../shared/vending/credentials-response';
import { describeRefusal } from './describe-failure';
import { isHttpUrl } from './oss-endpoint';

/** The vend-token fields the smoke test relies on; `Scope` is informative, `Actions` says whether it may clean up. */
export type VendedCredentials = Pick<
  CredentialsBody,
  'AccessKeyId' | 'AccessKeySecret' | 'SecurityToken' | 'Expiration' | 'Bucket' | 'Region' | 'Endpoint' | 'Prefix'
> & { readonly Scope?: string; readonly Actions?: readonly string[] };

/** The outcome of {@link checkVendTokenResponse}: the credentials, or why the answer breaks the contract. */
export type VendTokenCheck =
  | { readonly ok: true; readonly credentials: VendedCredentials }
  | { readonly ok: false; readonly reason: string };

const REQUIRED_STRINGS = ['AccessKeyId', 'AccessKeySecret', 'SecurityToken', 'Expiration', 'Bucket', 'Region', 'Endpoint', 'Prefix'] as const;
const EXPIRATION_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * Checks a vend-token answer against the README contract: HTTP 200 with `StatusCode` 200, the five
 * fields the OSS SDKs parse (with `Expiration` as `yyyy-MM-ddTHH:mm:ssZ`, no milliseconds, after
 * `now`), and `Bucket`, `Region`, `Endpoint` and `Prefix`. A refusal is reported by its status and
 * `ErrorCode`. Reasons name fields and never hold a credential value.
 *
 * @param status - the HTTP status of the answer.
 * @param body - the parsed JSON body, or `undefined` when it was not JSON.
 * @param now - the current time, which `Expiration` must lie after.
 */
export function checkVendTokenResponse(status: number, body: unknown, now: Date): VendTokenCheck {
  if (status !== 200) return { ok: false, reason: describeRefusal(status, body) };
  if (!isRecord(body)) return { ok: false, reason: 'HTTP 200 with a body that is not a JSON object' };

  const problems: string[] = [];
  if (body['StatusCode'] !== 200) problems.push('StatusCode is not 200');
  for (const field of REQUIRED_STRINGS) {
    if (!(field in body)) problems.push(`${field} is missing`);
    else if (typeof body[field] !== 'string' || body[field] === '') problems.push(`${field} is not a non-empty string`);
  }
  const text = (field: string): string | undefined => (typeof body[field] === 'string' && body[field] !== '' ? body[field] : undefined);
  const expiration = text('Expiration');
  if (expiration !== undefined) problems.push(...expirationProblems(expiration, now));
  const bucket = text('Bucket');
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) problems.push('Bucket is not a valid OSS bucket name');
  const endpoint = text('Endpoint');
  if (endpoint !== undefined && !isHttpUrl(endpoint)) problems.push('Endpoint is not an http:// or https:// URL');
  const prefix = text('Prefix');
  if (prefix !== undefined && (!prefix.endsWith('/') || prefix.startsWith('/'))) problems.push(`Prefix "${prefix}" does not end with "/" or starts with "/"`);
  if (body['Scope'] !== undefined && typeof body['Scope'] !== 'string') problems.push('Scope is not a string');
  const actions = body['Actions'];
  if (actions !== undefined && !(Array.isArray(actions) && actions.every((action) => typeof action === 'string'))) problems.push('Actions is not a list of strings');

  if (problems.length > 0) return { ok: false, reason: `HTTP 200 breaks the contract: ${problems.join('; ')}` };
  return { ok: true, credentials: body as unknown as VendedCredentials };
}

function expirationProblems(expiration: string, now: Date): string[] {
  const shown = JSON.stringify(expiration.slice(0, 40));
  if (!EXPIRATION_FORMAT.test(expiration)) return [`Expiration ${shown} is not yyyy-MM-ddTHH:mm:ssZ (no milliseconds)`];
  const time = Date.parse(expiration);
  if (Number.isNaN(time) || isoSeconds(new Date(time)) !== expiration) return [`Expiration ${shown} is not a real date`];
  if (time <= now.getTime()) return [`Expiration ${shown} is not in the future`];
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
