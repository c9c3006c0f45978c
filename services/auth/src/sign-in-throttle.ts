import { TooManyRequestsError } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { AuthDatabase } from './db/schema.js';

export interface SignInLimits {
  maxFailuresPerEmail: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

export interface SignInAttempt {
  email: string;
  clientAddress: string;
}

export class SignInThrottledError extends TooManyRequestsError {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed sign-in attempts, try again later');
  }
}

const emailKey = (email: string) => `email:${email}`;
const addressKey = (address: string) => `address:${address}`;

/**
 * Counts an attempt against its email and its client address before the password is
 * checked, and throws once either is over its limit. Counting first, in one atomic
 * upsert, means parallel guesses cannot slip past the limit, and the counters live in
 * Postgres so every replica agrees. A window is fixed: it starts at the first
 * failure and resets once `windowSeconds` have passed.
 */
export async function countSignInAttempt(
  db: Kysely<AuthDatabase>,
  limits: SignInLimits,
  attempt: SignInAttempt,
): Promise<void> {
  const window = sql<Date>`now() - make_interval(secs => ${limits.windowSeconds})`;
  const expired = sql<boolean>`sign_in_failures.window_started_at <= ${window}`;
  await db.deleteFrom('sign_in_failures').where('window_started_at', '<=', window).execute();
  const counters = await db
    .insertInto('sign_in_failures')
    .values([
      { key: emailKey(attempt.email), failures: 1 },
      { key: addressKey(attempt.clientAddress), failures: 1 },
    ])
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        failures: sql`CASE WHEN ${expired} THEN 1 ELSE sign_in_failures.failures + 1 END`,
        window_started_at: sql`CASE WHEN ${expired} THEN now() ELSE sign_in_failures.window_started_at END`,
      }),
    )
    .returning([
      'key',
      'failures',
      sql<number>`ceil(extract(epoch FROM window_started_at + make_interval(secs => ${limits.windowSeconds}) - now()))`.as(
        'retry_after',
      ),
    ])
    .execute();

  const over = counters.filter(({ key, failures }) => {
    const max = key.startsWith('email:')
      ? limits.maxFailuresPerEmail
      : limits.maxFailuresPerAddress;
    return failures > max;
  });
  if (over.length > 0) {
    const retryAfter = Math.max(...over.map((counter) => Number(counter.retry_after)));
    throw new SignInThrottledError(Math.max(1, retryAfter));
  }
}

/** A success clears its email's counter and takes back its own count from the address. */
export async function forgiveSignInAttempt(
  db: Kysely<AuthDatabase>,
  attempt: SignInAttempt,
): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('key', '=', emailKey(attempt.email)).execute();
  await db
    .updateTable('sign_in_failures')
    .set({ failures: sql`failures - 1` })
    .where('key', '=', addressKey(attempt.clientAddress))
    .where('failures', '>', 0)
    .execute();
}
