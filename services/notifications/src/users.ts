import { applyUserToReplica, type EventData } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { NotificationsDatabase } from './db/schema.js';

/**
 * Serialises, per user, the replica's update and the queueing of an email to them:
 * without it, an email queued while the user's event is being applied (two consumers,
 * two transactions at once) finds no address, and the release finds no parked row.
 */
export async function lockUser(trx: Kysely<NotificationsDatabase>, userId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${userId}, 0))`.execute(trx);
}

/**
 * Applies user.created or user.updated to the replica (a newer version wins, so
 * duplicates and reordering converge), then releases the emails parked for that
 * user to the address the replica now holds.
 */
export async function applyUser(
  trx: Kysely<NotificationsDatabase>,
  user: EventData<'user.created' | 'user.updated'>,
): Promise<void> {
  await lockUser(trx, user.id);
  await applyUserToReplica(trx, user);
  await trx
    .updateTable('emails')
    .set({
      to_address: (eb) => eb.selectFrom('users').select('email').where('id', '=', user.id),
    })
    .where('user_id', '=', user.id)
    .where('to_address', 'is', null)
    .execute();
}
