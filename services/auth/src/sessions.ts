import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  ConfigError,
  createSessionVerifier,
  type RevokedSessions,
  SESSION_ALGORITHM,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
  type SessionUser,
  type SessionVerifier,
} from '@gittix/common';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';

/** Issues session tokens, verifies them, and publishes the public half as a JWKS. */
export interface SessionSigner {
  /**
   * A token for `user`'s session `sessionId` (its `sid` claim, what revocation names).
   * `expiresAt`, the session row's end, is its `exp` (rounded down), so a revocation,
   * which verifiers forget at the row's end, never ends before the token does.
   */
  sign: (user: SessionUser, sessionId: string, expiresAt?: Date) => Promise<string>;
  verify: SessionVerifier;
  jwks: { keys: JWK[] };
  ttlSeconds: number;
}

export interface SessionSignerOptions {
  /** Ed25519 private key, PKCS8 PEM. */
  privateKeyPem: string;
  ttlSeconds: number;
  /** Sessions ended before their tokens expire (none when left out). */
  revoked?: RevokedSessions;
}

/** A fresh Ed25519 key as PKCS8 PEM: for development and tests, never production. */
export function generateSessionKeyPem(): string {
  return generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

function readPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError('Invalid configuration: JWT_PRIVATE_KEY: Not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(
      `Invalid configuration: JWT_PRIVATE_KEY: Must be an Ed25519 key, got ${key.asymmetricKeyType}`,
    );
  }
  return key;
}

export async function createSessionSigner(options: SessionSignerOptions): Promise<SessionSigner> {
  const privateKey = readPrivateKey(options.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  // The thumbprint names the key, so verifiers pick the right one after a rotation.
  const kid = await calculateJwkThumbprint(publicJwk);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  return {
    ttlSeconds: options.ttlSeconds,
    jwks: { keys: [{ ...publicJwk, kid, alg: SESSION_ALGORITHM, use: 'sig' }] },
    verify: createSessionVerifier({ publicKeyPem, revoked: options.revoked }),
    sign: (user, sessionId, expiresAt) =>
      new SignJWT({ email: user.email, sid: sessionId })
        .setProtectedHeader({ alg: SESSION_ALGORITHM, kid })
        .setSubject(user.id)
        .setIssuer(SESSION_ISSUER)
        .setAudience(SESSION_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(
          expiresAt ? Math.floor(expiresAt.getTime() / 1000) : `${options.ttlSeconds}s`,
        )
        .sign(privateKey),
  };
}
