/**
 * Binding a string-to-sign to the security token of the STS credentials that sign it. OSS
 * accepts an STS AccessKeyId only when the request carries its token and the signature covers it;
 * the SDKs' self-signing mode never adds it, so it is inserted here at its canonical place.
 */
import { TvmError } from '../errors';
import type { AccessCredentials } from '../sts/sts-client';
import type { StringToSign } from './string-to-sign';

const HEADER = 'x-oss-security-token';
const SUBRESOURCE = 'security-token';

/**
 * The content to sign: `raw` itself when it already carries `token`, or `raw` with the token
 * inserted: as the `x-oss-security-token` header line among the x-oss lines, or, for a presigned
 * URL, as the `security-token` sub-resource.
 *
 * @param raw the content exactly as received; `parsed` is its parse.
 * @param token the signing credentials' token; undefined for long-term keys, which need none.
 * @throws {@link TvmError} 409 `SecurityTokenMismatch` when the content carries another token
 *   (the current one is in the error body and the `x-oss-security-token` header).
 */
export function bindSecurityToken(raw: string, parsed: StringToSign, token: string | undefined): string {
  const carried = carriedToken(parsed);
  if (carried !== undefined) {
    if (token !== undefined && carried.value === token) return raw;
    throw mismatch(token);
  }
  if (token === undefined) return raw;
  return parsed.date.kind === 'expires' ? insertSubresource(raw, parsed, token) : insertHeader(raw, parsed, token);
}

/**
 * The token a V1 content carries: the `x-oss-security-token` header line, or for a presigned URL
 * the `security-token` sub-resource (`value` undefined when it has no value); undefined when none.
 */
export function carriedToken(parsed: StringToSign): { readonly value: string | undefined } | undefined {
  const entries = parsed.date.kind === 'expires' ? parsed.subresources.filter(([name]) => name === SUBRESOURCE) : parsed.headers.filter(([name]) => name === HEADER);
  const [entry] = entries;
  return entry === undefined ? undefined : { value: entry[1] };
}

/** What a request the client built itself says about the credentials it is to be signed with. */
export interface CarriedCredentials {
  /** The AccessKeyId it names (a RemoteSigner map's `accessKeyId`, a presigned URL's `x-oss-credential`); undefined when it names none. */
  readonly accessKeyId?: string;
  /** Whether the request's token is visible here (it is not in a V4 string to sign, which holds only a hash). */
  readonly tokenVisible: boolean;
  /** The token it carries; undefined when it carries none. */
  readonly securityToken?: string | undefined;
}

/**
 * Checks that a request the client built itself, which cannot be changed here, names the signing
 * credentials: their AccessKeyId, and their token (present and equal for STS credentials, absent
 * for long-term keys). A request built with credentials that have since been renewed (by the
 * cache, or by FC for the function role) is refused, and the reply carries the current ones.
 *
 * @param sessionTicket the current credentials' session ticket, sent along with them when given.
 * @throws {@link TvmError} 409 `SecurityTokenMismatch` with the current `AccessKeyId` and
 *   `SecurityToken` (and `SessionTicket`) in the body (the token also in the `x-oss-security-token` header).
 */
export function requireSigningCredentials(carried: CarriedCredentials, current: AccessCredentials, sessionTicket?: string): void {
  if (carried.accessKeyId !== undefined && carried.accessKeyId !== current.accessKeyId) {
    throw staleCredentials(current, sessionTicket, 'The request was built with other credentials than the ones that sign it now (they were renewed).');
  }
  if (!carried.tokenVisible || carried.securityToken === current.securityToken) return;
  if (current.securityToken === undefined) {
    throw staleCredentials(current, sessionTicket, 'The request carries a security token, but this service signs with keys that need none; remove it.');
  }
  throw staleCredentials(current, sessionTicket, carried.securityToken === undefined
    ? 'The request carries no security token; it must carry the x-oss-security-token of the signing credentials.'
    : 'The request carries a security token other than the current one.');
}

function staleCredentials(current: AccessCredentials, sessionTicket: string | undefined, reason: string): TvmError {
  const token = current.securityToken;
  return new TvmError(409, 'SecurityTokenMismatch', `${reason} Build it again with the AccessKeyId and SecurityToken in this response (or from GET /) and sign again.`, {
    ...(token === undefined ? {} : { headers: { [HEADER]: token } }),
    bodyFields: { AccessKeyId: current.accessKeyId, ...(token === undefined ? {} : { SecurityToken: token }), ...(sessionTicket === undefined ? {} : { SessionTicket: sessionTicket }) },
  });
}

function insertHeader(raw: string, parsed: StringToSign, token: string): string {
  const lines = raw.split('\n');
  const after = parsed.headers.findIndex(([name]) => name > HEADER);
  const index = 4 + (after === -1 ? parsed.headers.length : after);
  lines.splice(index, 0, `${HEADER}:${token}`);
  return lines.join('\n');
}

/** The token as a sub-resource, after the `?` where the parsed sub-resources start (a key may hold `?` too). */
function insertSubresource(raw: string, parsed: StringToSign, token: string): string {
  const cut = raw.lastIndexOf('\n') + 1;
  const resource = raw.slice(cut);
  const entry = `${SUBRESOURCE}=${token}`;
  if (parsed.subresources.length === 0) return `${raw}?${entry}`;
  const written = parsed.subresources.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&');
  const query = resource.length - written.length - 1;
  const parts = resource.slice(query + 1).split('&');
  const after = parts.findIndex((part) => (part.split('=')[0] ?? '') > SUBRESOURCE);
  parts.splice(after === -1 ? parts.length : after, 0, entry);
  return `${raw.slice(0, cut)}${resource.slice(0, query)}?${parts.join('&')}`;
}

function mismatch(token: string | undefined): TvmError {
  if (token === undefined) {
    return new TvmError(409, 'SecurityTokenMismatch', 'The string to sign carries a security token, but this service signs with keys that need none; remove it.');
  }
  return new TvmError(409, 'SecurityTokenMismatch', 'The string to sign carries a security token other than the current one. Use the token in this response and sign again.', {
    headers: { [HEADER]: token },
    bodyFields: { SecurityToken: token },
  });
}
