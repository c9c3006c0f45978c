import { randomUUID } from 'node:crypto';
import { type EventData, enqueueEvent } from '@gittix/common';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuthDatabase } from './db/schema.js';
import type { SessionSigner } from './sessions.js';
import type { User } from './users.js';

type Executor = Kysely<AuthDatabase> | Transaction<AuthDatabase>;

/**
 * Records a new session of `user` and signs its token. With `passwordHash`, the row is
 * written only while the user's password is still that hash: a sign-in checked against
 * the old password cannot open a session after a reset or change committed.
 * Returns null when it did not.
 *
 * `FOR SHARE` makes the check wait for a reset or change in flight: without it the
 * SELECT reads the old hash from before that transaction commits, and a session written
 * after the transaction revoked every session would outlive the new password.
 */
export async function openSession(
  db: Executor,
  signer: SessionSigner,
  user: User,
  passwordHash?: string,
): Promise<{ token: string; sessionId: string } | null> {
  const sessionId = randomUUID();
  const expiresAt = new Date(Date.now() + signer.ttlSeconds * 1000);
  const samePassword = passwordHash ? sql`AND password_hash = ${passwordHash}` : sql``;
  const inserted = await sql`
    INSERT INTO sessions (id, user_id, expires_at)
    SELECT ${sessionId}, id, ${expiresAt} FROM users WHERE id = ${user.id} ${samePassword}
    FOR SHARE`.execute(db);
  if (Number(inserted.numAffectedRows ?? 0) !== 1) return null;
  return { token: await signer.sign(user, sessionId, expiresAt), sessionId };
}

export type Revocation = EventData<'session.revoked'>;

/**
 * Ends sessions: one (`sessionId`), or every live one of a user (`userId`), and writes
 * a `session.revoked` per session in the same transaction. Each names its session and
 * when its token expires, so every service can refuse it until then and forget it after.
 */
export async function revokeSessions(
  trx: Transaction<AuthDatabase>,
  which: { sessionId: string; userId: string } | { userId: string },
): Promise<Revocation[]> {
  let update = trx
    .updateTable('sessions')
    .set({ revoked_at: sql`now()` })
    .where('user_id', '=', which.userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`);
  if ('sessionId' in which) update = update.where('id', '=', which.sessionId);
  const ended = await update.returning(['id', 'user_id', 'expires_at']).execute();
  const revocations: Revocation[] = [];
  for (const session of ended) {
    const data: Revocation = {
      userId: session.user_id,
      sessionId: session.id,
      issuedBefore: null,
      exceptSessionId: null,
      expiresAt: session.expires_at.toISOString(),
    };
    await enqueueEvent(trx, 'session.revoked', data);
    revocations.push(data);
  }
  return revocations;
}
