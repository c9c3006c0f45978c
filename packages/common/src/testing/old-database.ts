import { type Kysely, sql } from 'kysely';
import { type Migrations, openDatabase } from '../db.js';

/**
 * The database at `url` as an older release left it: migrated up to and including
 * `lastMigration`, for tests of an upgrade. The service then migrates the rest.
 */
export function openDatabaseAsOf(
  url: string,
  migrations: Migrations,
  lastMigration: string,
): Promise<Kysely<unknown>> {
  if (!Object.hasOwn(migrations, lastMigration)) throw new Error(`No migration ${lastMigration}`);
  const released = Object.fromEntries(
    Object.entries(migrations).filter(([name]) => name <= lastMigration),
  );
  return openDatabase(url, released, { max: 1 });
}

/** Which consumers recorded event `eventId` in the inbox, sorted. */
export async function inboxConsumersOf(db: Kysely<unknown>, eventId: string): Promise<string[]> {
  const { rows } = await sql<{ consumer: string }>`
    SELECT consumer FROM inbox WHERE event_id = ${eventId} ORDER BY consumer`.execute(db);
  return rows.map((row) => row.consumer);
}
