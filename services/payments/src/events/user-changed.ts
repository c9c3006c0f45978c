import type { EventHandler } from '@gittix/common';
import { sql } from 'kysely';
import type { PaymentsDatabase } from '../db/schema.js';

/** user.created / user.updated → the users replica (a newer version wins): payouts need a verified email. */
export const onUserChanged: EventHandler<
  PaymentsDatabase,
  'user.created' | 'user.updated'
> = async (trx, event) => {
  const user = event.data;
  await trx
    .insertInto('users')
    .values({
      id: user.id,
      email: user.email,
      email_verified: user.emailVerified,
      version: user.version,
    })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet({
          email: sql`excluded.email`,
          email_verified: sql`excluded.email_verified`,
          version: sql`excluded.version`,
        })
        .where(sql<boolean>`users.version < excluded.version`),
    )
    .execute();
};
