/** sign-request replies: the bare Authorization value for the SDK callback, or JSON. */
import { type HttpResponse, jsonResponse } from '../http/message';
import { isoSeconds } from '../time';
import type { SignedContent } from './sign-for-caller';
import type { SignRequest } from './sign-request';

/** The response header that carries the security token the app must send with the signed request. */
export const SECURITY_TOKEN_HEADER = 'x-oss-security-token';

/** The response header that carries the signing credentials' expiry in text mode. */
export const EXPIRATION_HEADER = 'x-tvm-credentials-expiration';

/**
 * Text mode: exactly `OSS <AccessKeyId>:<signature>` as text/plain, no trailing newline, the token
 * in `x-oss-security-token` and its expiry in {@link EXPIRATION_HEADER}. JSON mode:
 * `{"StatusCode":200,"Authorization","SecurityToken","Expiration","SignedString"}`.
 */
export function signingResponse(mode: SignRequest['mode'], signed: SignedContent): HttpResponse {
  const expiration = signed.expiration === undefined ? undefined : isoSeconds(signed.expiration);
  if (mode === 'json') {
    return jsonResponse(200, {
      StatusCode: 200,
      Authorization: signed.authorization,
      ...(signed.securityToken === undefined ? {} : { SecurityToken: signed.securityToken }),
      ...(expiration === undefined ? {} : { Expiration: expiration }),
      SignedString: signed.signedString,
    });
  }
  return {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...(signed.securityToken === undefined ? {} : { [SECURITY_TOKEN_HEADER]: signed.securityToken }),
      ...(expiration === undefined ? {} : { [EXPIRATION_HEADER]: expiration }),
    },
    body: signed.authorization,
    isBase64Encoded: false,
  };
}
