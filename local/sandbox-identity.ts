/**
 * Which key the sandbox's demo identity provider signs with, and so how the functions verify its
 * tokens: its own JWKS by default, or, as a deployment may be configured, a shared secret
 * (`TVM_JWT_SECRET`) or a public key (`TVM_JWT_PUBLIC_KEY`, whose private half the demo issuer
 * needs in `SANDBOX_JWT_PRIVATE_KEY`).
 */
import { createPublicKey } from 'node:crypto';
import type { Environment } from '../shared/config/load-config';
import { type DemoIssuer, type DemoIssuerKey, createDemoIssuer } from './demo-issuer';

/** The audience of the demo issuer's tokens unless `TVM_JWT_AUDIENCE` says otherwise. */
export const SANDBOX_AUDIENCE = 'oss-tvm-sandbox';

/** The demo issuer, the settings that make the functions trust it, and what stands in the way. */
export interface SandboxIdentity {
  readonly issuer: DemoIssuer;
  /** `TVM_JWT_ISSUER`, `TVM_JWT_AUDIENCE` and the key source, before the environment's own TVM_* settings. */
  readonly settings: Readonly<Record<string, string>>;
  /** How the functions verify its tokens, in words: `TVM_JWKS_URL (…)`, `TVM_JWT_SECRET (HS256)`… */
  readonly verifiedWith: string;
  /** Why its tokens cannot work with this environment; empty when they can. */
  readonly problems: readonly string[];
}

/**
 * Sets up the demo identity provider served at `${origin}/issuer`, for the settings in `environment`.
 *
 * @example
 * ```ts
 * const identity = await sandboxIdentity({ TVM_JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes' }, 'http://127.0.0.1:9000');
 * identity.issuer.algorithm; // 'HS256'
 * ```
 */
export async function sandboxIdentity(environment: Environment, origin: string): Promise<SandboxIdentity> {
  const given = (name: string): string | undefined => environment[name]?.trim() || undefined;
  const issuerName = given('TVM_JWT_ISSUER') ?? `${origin}/issuer`;
  const audience = (given('TVM_JWT_AUDIENCE') ?? SANDBOX_AUDIENCE).split(',')[0] ?? SANDBOX_AUDIENCE;
  const secret = given('TVM_JWT_SECRET');
  const privateKey = given('SANDBOX_JWT_PRIVATE_KEY');
  const publicKey = given('TVM_JWT_PUBLIC_KEY');
  const problems: string[] = [];
  if (secret !== undefined && privateKey !== undefined) problems.push('set TVM_JWT_SECRET or SANDBOX_JWT_PRIVATE_KEY, not both');
  if (publicKey !== undefined && privateKey === undefined) {
    problems.push('TVM_JWT_PUBLIC_KEY is set, but the demo identity provider cannot sign tokens for it without the private key: set SANDBOX_JWT_PRIVATE_KEY to it (PEM) too, or unset TVM_JWT_PUBLIC_KEY');
  }
  const key: DemoIssuerKey = secret !== undefined ? { kind: 'secret', secret } : privateKey !== undefined ? { kind: 'private-key', pem: privateKey } : { kind: 'generated' };
  let issuer: DemoIssuer;
  let signsWith = key.kind;
  try {
    issuer = await createDemoIssuer(issuerName, audience, key);
  } catch (error) {
    // A short TVM_JWT_SECRET is reported by the functions' own validation; a bad private key here.
    if (key.kind === 'private-key') problems.push(`SANDBOX_JWT_PRIVATE_KEY is invalid: ${(error as Error).message}`);
    issuer = await createDemoIssuer(issuerName, audience);
    signsWith = 'generated';
  }
  const base = { TVM_JWT_ISSUER: issuerName, TVM_JWT_AUDIENCE: SANDBOX_AUDIENCE };
  if (key.kind === 'secret') return { issuer, settings: base, verifiedWith: 'TVM_JWT_SECRET (HS256, the same secret)', problems };
  if (signsWith === 'private-key' && issuer.publicKeyPem !== undefined) {
    if (publicKey !== undefined && !samePublicKey(publicKey, issuer.publicKeyPem)) problems.push('TVM_JWT_PUBLIC_KEY is not the public half of SANDBOX_JWT_PRIVATE_KEY');
    return { issuer, settings: { ...base, TVM_JWT_PUBLIC_KEY: issuer.publicKeyPem }, verifiedWith: `TVM_JWT_PUBLIC_KEY (${issuer.algorithm}, the public half of SANDBOX_JWT_PRIVATE_KEY)`, problems };
  }
  const jwksUrl = `${origin}/issuer/.well-known/jwks.json`;
  const ownJwks = given('TVM_JWKS_URL');
  const verifiedWith = ownJwks === undefined || ownJwks === jwksUrl ? `TVM_JWKS_URL=${jwksUrl}` : `TVM_JWKS_URL=${ownJwks}, which is not this issuer's: its tokens will be refused`;
  return { issuer, settings: { ...base, TVM_JWKS_URL: jwksUrl }, verifiedWith, problems };
}

/** Whether `given` (PEM or JWK JSON, as `TVM_JWT_PUBLIC_KEY` takes it) is the key of `pem`; unreadable counts as the same (the functions report it). */
function samePublicKey(given: string, pem: string): boolean {
  try {
    const text = given.replace(/\\n/g, '\n');
    const key = text.startsWith('{') ? createPublicKey({ key: JSON.parse(text) as never, format: 'jwk' }) : createPublicKey(text);
    return key.equals(createPublicKey(pem));
  } catch {
    return true;
  }
}
