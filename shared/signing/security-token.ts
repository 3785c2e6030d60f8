/**
 * Binding a string-to-sign to the security token of the STS credentials that sign it. OSS
 * accepts an STS AccessKeyId only when the request carries its token and the signature covers it;
 * the SDKs' self-signing mode never adds it, so it is inserted here at its canonical place.
 */
import { TvmError } from '../errors';
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
  const presigned = parsed.date.kind === 'expires';
  const carried = presigned
    ? parsed.subresources.find(([name]) => name === SUBRESOURCE)?.[1]
    : parsed.headers.find(([name]) => name === HEADER)?.[1];
  const present = presigned ? parsed.subresources.some(([name]) => name === SUBRESOURCE) : carried !== undefined;
  if (present) {
    if (token !== undefined && carried === token) return raw;
    throw mismatch(token);
  }
  if (token === undefined) return raw;
  return presigned ? insertSubresource(raw, token) : insertHeader(raw, parsed, token);
}

function insertHeader(raw: string, parsed: StringToSign, token: string): string {
  const lines = raw.split('\n');
  const after = parsed.headers.findIndex(([name]) => name > HEADER);
  const index = 4 + (after === -1 ? parsed.headers.length : after);
  lines.splice(index, 0, `${HEADER}:${token}`);
  return lines.join('\n');
}

function insertSubresource(raw: string, token: string): string {
  const cut = raw.lastIndexOf('\n') + 1;
  const resource = raw.slice(cut);
  const query = resource.indexOf('?');
  const entry = `${SUBRESOURCE}=${token}`;
  if (query === -1) return `${raw}?${entry}`;
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
