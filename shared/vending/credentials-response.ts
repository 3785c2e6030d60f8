/** The vend-token success body, in the exact shape the OSS Android and iOS SDKs parse. */
import { type HttpResponse, jsonResponse } from '../http/message';
import { isoSeconds } from '../time';
import type { CallerCredentials } from './caller-credentials';

/** The 200 body: the SDK contract first, then fields that help an app. */
export interface CredentialsBody {
  StatusCode: 200;
  AccessKeyId: string;
  AccessKeySecret: string;
  SecurityToken: string;
  /** `yyyy-MM-ddTHH:mm:ssZ`, no milliseconds: iOS fails on them, Android falls back to a 30 s life. */
  Expiration: string;
  Bucket: string;
  Region: string;
  Endpoint: string;
  Scope: string;
  /** What the credentials allow under `Prefix`: `read`, `write`, `delete`, `list`. */
  Actions: readonly string[];
  Prefix: string;
  ServerTime: string;
}


/** The 200 response for vended credentials, with `Cache-Control: no-store`. */
export function credentialsResponse(result: CallerCredentials, where: { bucket: string; region: string; ossEndpoint: string }, now: Date = new Date()): HttpResponse {
  const { bucket, region, ossEndpoint } = where;
  const { credentials } = result.provided;
  const body: CredentialsBody = {
    StatusCode: 200,
    AccessKeyId: credentials.accessKeyId,
    AccessKeySecret: credentials.accessKeySecret,
    SecurityToken: credentials.securityToken,
    Expiration: isoSeconds(credentials.expiration),
    Bucket: bucket,
    Region: region,
    Endpoint: ossEndpoint,
    Scope: result.scope.name,
    Actions: result.scope.definition.actions,
    Prefix: result.policy.prefix,
    ServerTime: isoSeconds(now),
  };
  return jsonResponse(200, body);
}
