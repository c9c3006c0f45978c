import { type QueryExecutorProvider, sql } from 'kysely';
import type { EventData } from './contracts.js';

/** A service's replica of auth's users, table `users`, as each one that needs it keeps it. */
export interface UserReplicaTable {
  id: string;
  email: string;
  email_verified: boolean;
  version: number;
}

/**
 * Applies a user.created or user.updated to the service's `users` replica: the newer
 * version wins, so a repeated or late event changes nothing. Plain SQL, so every
 * service's own Kysely database (with a `users` table of this shape) can run it.
 */
export async function applyUserToReplica(
  db: QueryExecutorProvider,
  user: EventData<'user.created' | 'user.updated'>,
): Promise<void> {
  await sql`
    INSERT INTO users (id, email, email_verified, version)
    VALUES (${user.id}, ${user.email}, ${user.emailVerified}, ${user.version})
    ON CONFLICT (id) DO UPDATE
      SET email = excluded.email,
          email_verified = excluded.email_verified,
          version = excluded.version
      WHERE users.version < excluded.version`.execute(db);
}
