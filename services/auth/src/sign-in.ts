import { BadRequestError } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { AuthDatabase } from './db/schema.js';
import type { PasswordHasher } from './passwords.js';
import { countSignInAttempt, forgiveSignInAttempt, type SignInLimits } from './sign-in-throttle.js';
import type { Credentials, User } from './users.js';

export interface SignInDeps {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
  limits: SignInLimits;
}

/**
 * Checks a user's credentials. An unknown email and a wrong password get the same
 * answer after the same work (an argon2 verification), so neither the message nor
 * the time tells which emails have accounts.
 */
export async function signIn(
  { db, passwords, limits }: SignInDeps,
  credentials: Credentials & { clientAddress: string },
): Promise<User> {
  const attempt = { email: credentials.email, clientAddress: credentials.clientAddress };
  await countSignInAttempt(db, limits, attempt);

  const user = await db
    .selectFrom('users')
    .select(['id', 'email', 'password_hash'])
    .where(sql`lower(email)`, '=', credentials.email)
    .executeTakeFirst();
  const hash = user?.password_hash ?? (await passwords.dummyHash());
  const matches = await passwords.verify(hash, credentials.password);
  if (!user || !matches) throw new BadRequestError('Invalid credentials');

  await forgiveSignInAttempt(db, attempt);
  return { id: user.id, email: user.email };
}
