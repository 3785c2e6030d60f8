/** sign-request replies: the bare Authorization value for the SDK callback, or JSON for the other shapes. */
import { type HttpResponse, jsonResponse } from '../http/message';
import { isoSeconds } from '../time';
import type { RemoteSignature } from './remote-signer';
import type { SignedCanonicalRequest } from './sign-canonical';
import type { SignedContent, V1ContentRequest } from './sign-for-caller';
import type { SigningSession } from './signing-session';

/** The response header that carries the security token the app must send with the signed request. */
export const SECURITY_TOKEN_HEADER = 'x-oss-security-token';

/** The response header that carries the signing credentials' expiry in text mode. */
export const EXPIRATION_HEADER = 'x-tvm-credentials-expiration';

/**
 * Text mode: exactly `OSS <AccessKeyId>:<signature>` as text/plain, no trailing newline, the token
 * in `x-oss-security-token` and its expiry in {@link EXPIRATION_HEADER}. JSON mode:
 * `{"StatusCode":200,"Authorization","SecurityToken","Expiration","SignedString"}`.
 */
export function signingResponse(mode: V1ContentRequest['mode'], signed: SignedContent): HttpResponse {
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

/**
 * The signing session: `{"StatusCode":200,"AccessKeyId","SecurityToken","Expiration","Region","Bucket","Endpoint","Prefix","ServerTime","SessionTicket"}`
 * (`SecurityToken` and `Expiration` only when the signing credentials have them, `SessionTicket` only
 * for scoped ones); never the secret in the clear.
 */
export function sessionResponse(session: SigningSession): HttpResponse {
  return jsonResponse(200, {
    StatusCode: 200,
    AccessKeyId: session.accessKeyId,
    ...(session.securityToken === undefined ? {} : { SecurityToken: session.securityToken }),
    ...(session.expiration === undefined ? {} : { Expiration: isoSeconds(session.expiration) }),
    Region: session.region,
    Bucket: session.bucket,
    Endpoint: session.endpoint,
    Prefix: session.prefix,
    ServerTime: isoSeconds(new Date(session.serverTime)),
    ...(session.sessionTicket === undefined ? {} : { SessionTicket: session.sessionTicket }),
  });
}

/** A remote signer's reply: `{"StatusCode":200,"signature","SecurityToken","Expiration"}`, what the SDK's SignatureDelegate returns. */
export function remoteSignatureResponse(signed: RemoteSignature): HttpResponse {
  return jsonResponse(200, {
    StatusCode: 200,
    signature: signed.signature,
    ...(signed.securityToken === undefined ? {} : { SecurityToken: signed.securityToken }),
    ...(signed.expiration === undefined ? {} : { Expiration: isoSeconds(signed.expiration) }),
  });
}

/** A signed canonical request: `{"StatusCode":200,"signature","Authorization","StringToSign","SecurityToken","Expiration"}`. */
export function canonicalSignatureResponse(signed: SignedCanonicalRequest): HttpResponse {
  return jsonResponse(200, {
    StatusCode: 200,
    signature: signed.signature,
    Authorization: signed.authorization,
    StringToSign: signed.stringToSign,
    ...(signed.securityToken === undefined ? {} : { SecurityToken: signed.securityToken }),
    ...(signed.expiration === undefined ? {} : { Expiration: isoSeconds(signed.expiration) }),
  });
}
