import { BadRequestError, isUniqueViolation } from '@gittix/common';
import type { Kysely } from 'kysely';
import { USERS_EMAIL_INDEX } from './db/migrations.js';
import type { AuthDatabase } from './db/schema.js';
import type { PasswordHasher } from './passwords.js';
import type { Credentials, User } from './users.js';

export interface SignUpDeps {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
}

/** Creates a user. The unique index decides "Email in use", so racing sign-ups cannot both win. */
export async function signUp(
  { db, passwords }: SignUpDeps,
  credentials: Credentials,
): Promise<User> {
  const passwordHash = await passwords.hash(credentials.password);
  try {
    return await db
      .insertInto('users')
      .values({ email: credentials.email, password_hash: passwordHash })
      .returning(['id', 'email'])
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_INDEX)) {
      throw new BadRequestError('Email in use', 'email');
    }
    throw error;
  }
}
