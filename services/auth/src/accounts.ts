import { BadRequestError, NotAuthorizedError } from '@gittix/common';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuthDatabase } from './db/schema.js';
import {
  consumeToken,
  emailLink,
  lockTokenOwner,
  requireUsableToken,
  spendTokens,
} from './email-tokens.js';
import type { PasswordHasher } from './passwords.js';
import { openSession, type Revocation, revokeSessions } from './session-store.js';
import type { SessionSigner } from './sessions.js';
import { addressKey, countAttempt, emailKey, forgiveAttempt } from './sign-in-throttle.js';
import { announceUser, type User } from './users.js';

export interface AccountDeps {
  db: Kysely<AuthDatabase>;
  passwords: PasswordHasher;
  sessions: SessionSigner;
  settings: AccountSettings;
  /** EMAIL_TOKEN_KEY: every emailed link's token is sealed for notifications with it. */
  emailTokenKey: string;
  /** Told about each revocation as soon as it commits (auth's own revocation list). */
  onRevoked: (revocations: Revocation[]) => void;
}

export interface AccountSettings {
  verificationTtlSeconds: number;
  resetTtlSeconds: number;
  /** Verification or reset emails one account may ask for per window. */
  maxEmailsPerWindow: number;
  /** Forgot-password requests one client address may make per window. */
  maxForgotPerAddress: number;
  /** Wrong current passwords one account may send to the change form per window. */
  maxPasswordGuesses: number;
  windowSeconds: number;
}

export interface AccountView extends User {
  emailVerified: boolean;
}

const tooManyEmails = 'Too many emails requested, try again later';

/** One count per address for every emailed link (verification and reset alike). */
const emailsKey = (email: string) => `emails:${emailKey(email)}`;

/** Marks the email verified once, with user.updated; the token dies with it. */
export async function verifyEmail(deps: AccountDeps, token: string): Promise<AccountView> {
  return deps.db.transaction().execute(async (trx) => {
    const userId = await consumeToken(trx, token, 'verify');
    const user = await markVerified(trx, userId);
    return { id: user.id, email: user.email, emailVerified: true };
  });
}

async function markVerified(trx: Transaction<AuthDatabase>, userId: string): Promise<User> {
  const changed = await trx
    .updateTable('users')
    .set({ email_verified: true, version: sql`version + 1` })
    .where('id', '=', userId)
    .where('email_verified', '=', false)
    .returning(['id', 'email', 'email_verified', 'version'])
    .executeTakeFirst();
  if (changed) {
    await announceUser(trx, 'user.updated', changed);
    return changed;
  }
  return trx
    .selectFrom('users')
    .select(['id', 'email'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
}

/** A new verification link, unless the email is verified already (then nothing is sent). */
export async function resendVerification(deps: AccountDeps, userId: string): Promise<void> {
  const { settings } = deps;
  const account = await deps.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!account) throw new NotAuthorizedError();
  await countAttempt(
    deps.db,
    [{ key: emailsKey(account.email), max: settings.maxEmailsPerWindow }],
    settings.windowSeconds,
    tooManyEmails,
  );
  await deps.db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'email', 'email_verified'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) throw new NotAuthorizedError();
    if (user.email_verified) return;
    await emailLink(trx, deps.emailTokenKey, user, {
      purpose: 'verify',
      ttlSeconds: settings.verificationTtlSeconds,
    });
  });
}

/**
 * Forgot password. Known and unknown emails take the same path up to the answer:
 * both are counted (per email and per address, 429 beyond the limits, so a flood
 * sends no flood of emails), and the lookup and the link are made after the
 * answer, so neither the status nor the time says whether the account exists.
 */
export async function requestPasswordReset(
  deps: AccountDeps,
  request: { email: string; clientAddress: string },
): Promise<{ afterAnswer: () => Promise<void> }> {
  const { settings } = deps;
  await countAttempt(
    deps.db,
    [
      { key: emailsKey(request.email), max: settings.maxEmailsPerWindow },
      { key: `reset:${addressKey(request.clientAddress)}`, max: settings.maxForgotPerAddress },
    ],
    settings.windowSeconds,
    tooManyEmails,
  );
  return {
    afterAnswer: async () => {
      await deps.db.transaction().execute(async (trx) => {
        const user = await trx
          .selectFrom('users')
          .select(['id', 'email'])
          .where(sql`lower(email)`, '=', request.email)
          .executeTakeFirst();
        if (!user) return;
        await emailLink(trx, deps.emailTokenKey, user, {
          purpose: 'reset',
          ttlSeconds: settings.resetTtlSeconds,
        });
      });
    },
  };
}

/**
 * Sets a new password from a reset link: once, within its time, and every session of
 * the user ends. Following the emailed link also proves the address: it is verified.
 * Returns the user and the new hash, which the resetting browser's device cookie covers.
 */
export async function resetPassword(
  deps: AccountDeps,
  request: { token: string; password: string },
): Promise<User & { passwordHash: string }> {
  // A forged, used or expired link is answered before the hash, which costs the most.
  await requireUsableToken(deps.db, request.token, 'reset');
  const hash = await deps.passwords.hash(request.password);
  const { user, revocations } = await deps.db.transaction().execute(async (trx) => {
    await lockTokenOwner(trx, request.token, 'reset');
    const userId = await consumeToken(trx, request.token, 'reset');
    await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
    const user = await markVerified(trx, userId);
    // The owner proved the mailbox: strangers' failures no longer hold the account.
    await trx.deleteFrom('sign_in_failures').where('key', '=', emailKey(user.email)).execute();
    return { user, revocations: await revokeSessions(trx, { userId }) };
  });
  deps.onRevoked(revocations);
  return { id: user.id, email: user.email, passwordHash: hash };
}

/**
 * Changes the password of the signed-in user, who must know the current one. Every
 * session of the user ends, this one included; the caller gets a new session (and the
 * new hash, for its device cookie: older ones no longer count).
 */
export async function changePassword(
  deps: AccountDeps,
  request: { userId: string; currentPassword: string; newPassword: string },
): Promise<{ user: User; token: string; passwordHash: string }> {
  const current = await deps.db
    .selectFrom('users')
    .select(['id', 'email', 'password_hash'])
    .where('id', '=', request.userId)
    .executeTakeFirst();
  if (!current) throw new NotAuthorizedError();
  // A stolen session must not become a way to guess the password: same limit as sign-in.
  const guesses = `change:${current.id}`;
  await countAttempt(
    deps.db,
    [{ key: guesses, max: deps.settings.maxPasswordGuesses }],
    deps.settings.windowSeconds,
  );
  if (!(await deps.passwords.verify(current.password_hash, request.currentPassword))) {
    throw new BadRequestError('Invalid credentials', 'currentPassword');
  }
  await forgiveAttempt(deps.db, guesses);
  const hash = await deps.passwords.hash(request.newPassword);
  const { revocations, session } = await deps.db.transaction().execute(async (trx) => {
    // Only from the password just checked: two changes racing cannot both win.
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: hash })
      .where('id', '=', current.id)
      .where('password_hash', '=', current.password_hash)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new BadRequestError('Invalid credentials');
    // A reset link from before the change would undo it: the links die with the old password.
    await spendTokens(trx, current.id, 'reset');
    const revocations = await revokeSessions(trx, { userId: current.id });
    const session = await openSession(trx, deps.sessions, current);
    if (!session) throw new NotAuthorizedError();
    return { revocations, session };
  });
  deps.onRevoked(revocations);
  return {
    user: { id: current.id, email: current.email },
    token: session.token,
    passwordHash: hash,
  };
}

/** Ends one session (sign-out): its token is refused everywhere from now on. */
export async function endSession(
  deps: AccountDeps,
  session: { userId: string; sessionId: string },
): Promise<void> {
  const revocations = await deps.db.transaction().execute((trx) => revokeSessions(trx, session));
  deps.onRevoked(revocations);
}

/** What currentUser says: the session's user, with whether the email is verified. */
export async function accountOf(
  db: Kysely<AuthDatabase>,
  userId: string,
): Promise<AccountView | null> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'email_verified'])
    .where('id', '=', userId)
    .executeTakeFirst();
  return row ? { id: row.id, email: row.email, emailVerified: row.email_verified } : null;
}
