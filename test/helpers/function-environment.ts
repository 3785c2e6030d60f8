/** The environment the functions run with in end-to-end tests: the STS emulator and a demo issuer. */
import type { DemoIssuer } from '../../local/demo-issuer';
import type { StsEmulator } from '../../local/sts-emulator';

/** TVM_* settings for bucket `photos` in cn-hangzhou, STS at `sts`, tokens from `issuer` (its JWK). */
export function functionEnvironment(sts: StsEmulator, issuer: DemoIssuer, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TVM_ROLE_ARN: sts.defaultRoleArn,
    TVM_BUCKET: 'photos',
    TVM_REGION: 'cn-hangzhou',
    TVM_STS_ENDPOINT: sts.url,
    TVM_JWT_ISSUER: issuer.issuer,
    TVM_JWT_AUDIENCE: issuer.audience,
    TVM_JWT_PUBLIC_KEY: JSON.stringify(issuer.jwks.keys[0]),
    ...overrides,
  };
}
