import { randomUUID } from 'node:crypto';
import {
  SESSION_ALGORITHM,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
  type SessionUser,
} from '@gittix/common';
import { importPKCS8, SignJWT } from 'jose';

export interface SignedSession extends SessionUser {
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
}

/**
 * Sessions signed with the system's own key, exactly as the auth service signs
 * them (claims as in createTestSessionKeys): thousands of buyers without
 * thousands of argon2 sign-ups, which are not what this benchmark measures.
 */
export async function signSessions(
  privateKeyPem: string,
  count: number,
  label: string,
): Promise<SignedSession[]> {
  const key = await importPKCS8(privateKeyPem, SESSION_ALGORITHM);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const user = { id: randomUUID(), email: `${label}-${i}@bench.test` };
      const token = await new SignJWT({ email: user.email, sid: randomUUID() })
        .setProtectedHeader({ alg: SESSION_ALGORITHM })
        .setSubject(user.id)
        .setIssuer(SESSION_ISSUER)
        .setAudience(SESSION_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(key);
      return { ...user, token };
    }),
  );
}

export const bearer = (session: SignedSession) => ({ authorization: `Bearer ${session.token}` });
