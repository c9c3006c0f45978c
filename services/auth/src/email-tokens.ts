import { createHash, randomBytes } from 'node:crypto';
import { BadRequestError, enqueueEvent, sealToken } from '@gittix/common';
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import type { AuthDatabase } from './db/schema.js';

export type TokenPurpose = 'verify' | 'reset';

/** The one answer for a token that is unknown, forged, truncated, used or expired. */
export const INVALID_TOKEN = {
  verify: 'Verification link is invalid or has expired',
  reset: 'Reset link is invalid or has expired',
} as const;

/** What is stored for a token: its SHA-256 (the token has 256 random bits, no salt needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Makes a token for an emailed link and stores only its hash. The raw token goes,
 * sealed, into the event that asks notifications to send the link, and nowhere else.
 */
async function issueToken(
  trx: Transaction<AuthDatabase>,
  userId: string,
  purpose: TokenPurpose,
  ttlSeconds: number,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await trx
    .insertInto('email_tokens')
    .values({
      token_hash: hashToken(token),
      user_id: userId,
      purpose,
      expires_at: new Date(Date.now() + ttlSeconds * 1000),
    })
    .execute();
  return token;
}

/**
 * Makes a link's token and asks notifications to email it: user.verification_requested
 * or user.password_reset_requested, in the caller's transaction. The token is sealed
 * with EMAIL_TOKEN_KEY, so the outbox row and the stream hold nothing usable.
 */
export async function emailLink(
  trx: Transaction<AuthDatabase>,
  sealingKey: string,
  user: { id: string; email: string },
  link: { purpose: TokenPurpose; ttlSeconds: number },
): Promise<void> {
  const token = await issueToken(trx, user.id, link.purpose, link.ttlSeconds);
  const type =
    link.purpose === 'verify' ? 'user.verification_requested' : 'user.password_reset_requested';
  await enqueueEvent(trx, type, {
    userId: user.id,
    email: user.email,
    sealedToken: sealToken(sealingKey, token, {
      purpose: type,
      userId: user.id,
      email: user.email,
    }),
  });
}

/** The one definition of a link that works: this token, of `purpose`, unused and unexpired. */
function usable(token: string, purpose: TokenPurpose) {
  return (eb: ExpressionBuilder<AuthDatabase, 'email_tokens'>) =>
    eb.and([
      eb('token_hash', '=', hashToken(token)),
      eb('purpose', '=', purpose),
      eb('used_at', 'is', null),
      eb('expires_at', '>', sql<Date>`now()`),
    ]);
}

/**
 * Throws the token's 400 unless it is of this purpose, unused and unexpired: a cheap
 * read before a request spends anything on it (an argon2 hash); returns its user. Not the check
 * that counts: consumeToken's update is, in the transaction.
 */
export async function requireUsableToken(
  db: Kysely<AuthDatabase>,
  token: string,
  purpose: TokenPurpose,
): Promise<string> {
  const found = await db
    .selectFrom('email_tokens')
    .select('user_id')
    .where(usable(token, purpose))
    .executeTakeFirst();
  if (!found) throw new BadRequestError(INVALID_TOKEN[purpose], 'token');
  return found.user_id;
}

/**
 * Uses a token once: one atomic update marks it used only if it is of this purpose,
 * unused and unexpired, so two requests racing with one token cannot both succeed.
 * Returns the user it was issued to; anything else is a 400 that says nothing more.
 */
export async function consumeToken(
  trx: Transaction<AuthDatabase>,
  token: string,
  purpose: TokenPurpose,
): Promise<string> {
  const used = await trx
    .updateTable('email_tokens')
    .set({ used_at: sql`now()` })
    .where(usable(token, purpose))
    .returning('user_id')
    .executeTakeFirst();
  if (!used) throw new BadRequestError(INVALID_TOKEN[purpose], 'token');
  // The other links of this purpose die with it: one reset ends every reset link.
  await spendTokens(trx, used.user_id, purpose);
  return used.user_id;
}

/**
 * Locks the user a token was issued to (if any), before the token itself. A password
 * change locks the user and then spends their reset links; a reset that locked its
 * link first and then waited for the user would deadlock with it. Taking the user
 * first, both queue in one order, and the reset, once the change committed, finds its
 * link spent.
 */
export async function lockTokenOwner(
  trx: Transaction<AuthDatabase>,
  token: string,
  purpose: TokenPurpose,
): Promise<void> {
  const owner = await trx
    .selectFrom('email_tokens')
    .select('user_id')
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (!owner) return;
  await trx.selectFrom('users').select('id').where('id', '=', owner.user_id).forUpdate().execute();
}

/**
 * Ends every unused link of `purpose` the user was sent. A password change does it
 * for reset links: a link asked for before the change (perhaps by whoever made the
 * owner change it) must not undo it.
 */
export async function spendTokens(
  trx: Transaction<AuthDatabase>,
  userId: string,
  purpose: TokenPurpose,
): Promise<void> {
  await trx
    .updateTable('email_tokens')
    .set({ used_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}
