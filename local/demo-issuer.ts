/**
 * A demo identity provider for the sandbox: an RS256 key pair made at start, its JWKS, and tokens
 * for any user name on request. It stands in for the app's real identity provider (Auth0,
 * Cognito, Keycloak, Firebase…); never run it anywhere but on your own machine.
 */
import { type CryptoKey, SignJWT, exportJWK, generateKeyPair } from 'jose';

/** A running demo issuer. */
export interface DemoIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: { keys: Record<string, unknown>[] };
  /** Signs a token for `subject`, valid for `lifetimeSeconds`. */
  issue(subject: string, lifetimeSeconds?: number): Promise<string>;
}

/** Creates a demo issuer whose `iss` is `issuer` and whose tokens carry `aud` `audience`. */
export async function createDemoIssuer(issuer: string, audience: string): Promise<DemoIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `sandbox-${Date.now().toString(36)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    issuer,
    audience,
    jwks: { keys: [jwk] },
    issue: (subject, lifetimeSeconds = 3600) => sign(privateKey, kid, issuer, audience, subject, lifetimeSeconds),
  };
}

function sign(key: CryptoKey, kid: string, issuer: string, audience: string, subject: string, lifetimeSeconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .sign(key);
}
