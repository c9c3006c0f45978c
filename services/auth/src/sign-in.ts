import { BadRequestError } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { AuthDatabase } from './db/schema.js';
import type { DeviceCookies } from './devices.js';
import type { PasswordHasher } from './passwords.js';
import {
  addressKey,
  type Counter,
  countAttempt,
  deviceKey,
  emailKey,
  forgiveAttempt,
  GLOBAL_KEY,
  type SignInLimits,
} from './sign-in-throttle.js';
import type { Credentials, User } from './users.js';

export interface SignInDeps {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
  devices: DeviceCookies;
  limits: SignInLimits;
}

export interface SignInAttempt extends Credentials {
  clientAddress: string;
  /** The browser's device cookie as sent, if any; checked here against the account. */
  deviceCookie: string | undefined;
}

/**
 * Checks a user's credentials. An unknown email and a wrong password get the same
 * answer after the same work (an argon2 verification), so neither the message nor
 * the time tells which emails have accounts.
 *
 * Lockout follows OWASP's device cookies: a browser that signed in to this account
 * with its current password (its device cookie names the email and was issued since
 * the last reset or change) counts failures against its own device only, so strangers
 * exhausting the account's limit never lock it out; every other client counts against
 * the email, its address and all unknown clients together (a global limit against
 * stuffing from many addresses). A known device that itself fails too often is treated
 * as unknown from then on. Returns the user and the password hash it was checked
 * against (sessions and device cookies are issued only for that hash).
 */
export async function signIn(
  { db, passwords, devices, limits }: SignInDeps,
  attempt: SignInAttempt,
): Promise<User & { passwordHash: string }> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'email', 'password_hash'])
    .where(sql`lower(email)`, '=', attempt.email)
    .executeTakeFirst();
  const knownDevice = user
    ? devices.read(attempt.deviceCookie, { email: user.email, passwordHash: user.password_hash })
    : null;
  let counters: Counter[] = knownDevice
    ? [{ key: deviceKey(knownDevice.nonce), max: limits.maxFailuresPerDevice }]
    : [];
  if (knownDevice) {
    try {
      await countAttempt(db, counters, limits.windowSeconds);
    } catch {
      // This device failed too often itself: it is a stranger now.
      counters = [];
    }
  }
  if (counters.length === 0) {
    counters = [
      { key: emailKey(attempt.email), max: limits.maxFailuresPerEmail },
      { key: addressKey(attempt.clientAddress), max: limits.maxFailuresPerAddress },
      { key: GLOBAL_KEY, max: limits.maxFailuresGlobal },
    ];
    await countAttempt(db, counters, limits.windowSeconds);
  }

  const hash = user?.password_hash ?? (await passwords.dummyHash());
  const matches = await passwords.verify(hash, attempt.password);
  if (!user || !matches) throw new BadRequestError('Invalid credentials');

  const [own, ...shared] = counters.map((counter) => counter.key);
  await forgiveAttempt(db, own!, shared);
  return { id: user.id, email: user.email, passwordHash: user.password_hash };
}
