import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import {
  SESSION_ALGORITHM,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
  type SessionUser,
} from '../http/auth.js';

export interface TestSessionKeys {
  publicKeyPem: string;
  /** Signs a session exactly as the auth service does. */
  sign: (user: SessionUser, options?: { expiresIn?: string }) => Promise<string>;
}

/** A fresh signing key pair, for services tested without a running auth service. */
export async function createTestSessionKeys(): Promise<TestSessionKeys> {
  const { privateKey, publicKey } = await generateKeyPair(SESSION_ALGORITHM, { extractable: true });
  return {
    publicKeyPem: await exportSPKI(publicKey),
    sign: (user, options = {}) =>
      new SignJWT({ email: user.email, sid: user.sessionId ?? randomUUID() })
        .setProtectedHeader({ alg: SESSION_ALGORITHM })
        .setSubject(user.id)
        .setIssuer(SESSION_ISSUER)
        .setAudience(SESSION_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(privateKey),
  };
}

/** A new user with an email of its own. */
export function testUser(label = 'user'): SessionUser {
  const id = randomUUID();
  return { id, email: `${label}-${id.slice(0, 8)}@example.com` };
}

export interface TestSession {
  user: SessionUser;
  token: string;
  /** The session as a browser sends it. */
  cookie: { cookie: string };
  /** The session as an API client sends it. */
  bearer: { authorization: string };
}

/** A signed-in user and the headers that carry their session either way. */
export async function signIn(keys: TestSessionKeys, user = testUser()): Promise<TestSession> {
  const token = await keys.sign(user);
  return {
    user,
    token,
    cookie: { cookie: `session=${token}` },
    bearer: { authorization: `Bearer ${token}` },
  };
}
