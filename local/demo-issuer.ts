/**
 * A demo identity provider for the sandbox: a key made at the first start (or given), its JWKS, and tokens
 * for any user name on request, with any lifetime (an expired one included) and any extra claims.
 * It stands in for the app's real identity provider (Auth0, Cognito, Keycloak, Firebase…); never
 * run it anywhere but on your own machine.
 */
import { KeyObject, createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto';
import { type CryptoKey, type JWTPayload, SignJWT, exportJWK, generateKeyPair } from 'jose';

/** The key a demo issuer signs with, and so the one the functions must verify with. */
export type DemoIssuerKey =
  /**
   * An RS256 key pair made when the process first needs one, published as a JWKS (the default).
   * Every demo issuer of a process signs with that one pair: an RSA key costs 100 to 300 ms of CPU
   * to make, `npm start` needs one, and a process that starts many sandboxes (the test suite starts
   * dozens) would spend seconds on keys. Their tokens stay apart by issuer name (`iss`), which
   * includes the sandbox's port; a new process, such as `npm start` again, makes a new key.
   */
  | { readonly kind: 'generated' }
  /** An HS256 shared secret: the functions verify with `TVM_JWT_SECRET`. */
  | { readonly kind: 'secret'; readonly secret: string }
  /** A private key (PEM): the functions verify with its public half in `TVM_JWT_PUBLIC_KEY`. */
  | { readonly kind: 'private-key'; readonly pem: string };

/** A running demo issuer. */
export interface DemoIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The JWS algorithm of its tokens. */
  readonly algorithm: string;
  /** Its public keys; empty for a shared secret, which is never published. */
  readonly jwks: { keys: Record<string, unknown>[] };
  /** The public key as PEM (SPKI), for `TVM_JWT_PUBLIC_KEY`; absent for a shared secret. */
  readonly publicKeyPem?: string;
  /**
   * Signs a token for `subject`, valid for `lifetimeSeconds` from now (default 3600). A lifetime of
   * zero or less gives a token that has already expired (`iat` an hour before its `exp`). `claims`
   * are added to the payload; `exp`, `iat` and `nbf` come only from the lifetime.
   */
  issue(subject: string, lifetimeSeconds?: number, claims?: Readonly<Record<string, unknown>>): Promise<string>;
}

/** Claims the lifetime decides; {@link DemoIssuer.issue} refuses them among its extra claims. */
export const TIME_CLAIMS: readonly string[] = ['exp', 'iat', 'nbf'];

/**
 * Creates a demo issuer whose `iss` is `issuer` and whose tokens carry `aud` `audience`.
 *
 * @throws Error for a secret shorter than 32 bytes, or a private key that cannot be read or signs
 *   with no JWS algorithm the functions accept.
 * @example
 * ```ts
 * const issuer = await createDemoIssuer('http://127.0.0.1:9000/issuer', 'oss-tvm-sandbox');
 * const expired = await issuer.issue('alice', -60);
 * const withEmail = await issuer.issue('alice', 600, { email: 'alice@example.com' });
 * ```
 */
export async function createDemoIssuer(issuer: string, audience: string, key: DemoIssuerKey = { kind: 'generated' }): Promise<DemoIssuer> {
  const signer = await signingKey(key);
  const kid = `sandbox-${Date.now().toString(36)}`;
  const publicKey = signer.publicKey;
  const jwk = publicKey === undefined ? undefined : { ...(await exportJWK(publicKey)), kid, alg: signer.algorithm, use: 'sig' };
  return {
    issuer,
    audience,
    algorithm: signer.algorithm,
    jwks: { keys: jwk === undefined ? [] : [jwk] },
    ...(publicKey === undefined ? {} : { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
    issue: (subject, lifetimeSeconds = 3600, claims = {}) => {
      const reserved = Object.keys(claims).filter((name) => TIME_CLAIMS.includes(name));
      if (reserved.length > 0) return Promise.reject(new Error(`${reserved.join(', ')} come from the lifetime; give a lifetime instead.`));
      const now = Math.floor(Date.now() / 1000);
      const expires = now + Math.trunc(lifetimeSeconds);
      return new SignJWT({ ...claims } as JWTPayload)
        .setProtectedHeader({ alg: signer.algorithm, typ: 'JWT', ...(publicKey === undefined ? {} : { kid }) })
        .setIssuer(typeof claims['iss'] === 'string' ? claims['iss'] : issuer)
        .setAudience(typeof claims['aud'] === 'string' ? claims['aud'] : audience)
        .setSubject(subject)
        .setIssuedAt(expires > now ? now : expires - 3600)
        .setExpirationTime(expires)
        .sign(signer.key);
    },
  };
}

interface SigningKey {
  readonly algorithm: string;
  readonly key: CryptoKey | KeyObject;
  readonly publicKey?: KeyObject;
}

/** The process's generated key (see {@link DemoIssuerKey}); a promise, so that issuers created at once share it too. */
let generated: Promise<SigningKey> | undefined;

async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { algorithm: 'RS256', key: privateKey, publicKey: KeyObject.from(publicKey as unknown as Parameters<typeof KeyObject.from>[0]) };
}

async function signingKey(key: DemoIssuerKey): Promise<SigningKey> {
  if (key.kind === 'generated') {
    generated ??= generateSigningKey().catch((error: unknown) => {
      generated = undefined;
      throw error;
    });
    return generated;
  }
  if (key.kind === 'secret') {
    if (Buffer.byteLength(key.secret) < 32) throw new Error('The shared secret must be at least 32 bytes.');
    return { algorithm: 'HS256', key: createSecretKey(Buffer.from(key.secret)) };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.pem.replace(/\\n/g, '\n'));
  } catch {
    throw new Error('The private key could not be read: give it as PEM (PKCS#8, or PKCS#1/SEC1).');
  }
  const algorithm = algorithmOf(privateKey);
  if (algorithm === undefined) throw new Error(`A ${privateKey.asymmetricKeyType ?? 'unknown'} key cannot sign tokens the functions accept: give an RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519 key.`);
  return { algorithm, key: privateKey, publicKey: createPublicKey(privateKey) };
}

/** The JWS algorithm of a private key, as the functions pick it for its public half. */
function algorithmOf(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return (details?.modulusLength ?? 0) >= 2048 ? 'RS256' : undefined;
    case 'ec':
      return { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[details?.namedCurve ?? ''];
    case 'ed25519':
      return 'EdDSA';
    default:
      return undefined;
  }
}

