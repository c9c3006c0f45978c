import { BadRequestError, isUniqueViolation } from '@gittix/common';
import type { Kysely } from 'kysely';
import { USERS_EMAIL_INDEX } from './db/migrations.js';
import type { AuthDatabase } from './db/schema.js';
import { emailLink } from './email-tokens.js';
import type { PasswordHasher } from './passwords.js';
import { announceUser, type Credentials, type User } from './users.js';

export interface SignUpDeps {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
  /** How long the verification link works. */
  verificationTtlSeconds: number;
  /** EMAIL_TOKEN_KEY: the link's token is sealed for notifications with it. */
  emailTokenKey: string;
}

/**
 * Creates a user, announces it (user.created) and asks for the verification email
 * (user.verification_requested), all in one transaction. The unique index decides
 * "Email in use", so racing sign-ups cannot both win.
 */
export async function signUp(
  { db, passwords, verificationTtlSeconds, emailTokenKey }: SignUpDeps,
  credentials: Credentials,
): Promise<User & { passwordHash: string }> {
  const passwordHash = await passwords.hash(credentials.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto('users')
        .values({ email: credentials.email, password_hash: passwordHash })
        .returning(['id', 'email', 'email_verified', 'version'])
        .executeTakeFirstOrThrow();
      await announceUser(trx, 'user.created', created);
      await emailLink(trx, emailTokenKey, created, {
        purpose: 'verify',
        ttlSeconds: verificationTtlSeconds,
      });
      return { id: created.id, email: created.email, passwordHash };
    });
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_INDEX)) {
      throw new BadRequestError('Email in use', 'email');
    }
    throw error;
  }
}
