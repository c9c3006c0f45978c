import { type Kysely, sql } from 'kysely';
import { type Migrations, openDatabase } from '../db.js';

export interface OlderRelease {
  /** The last migration that release had. */
  lastMigration: string;
  /** Events it had handled: [the consumer key it wrote, event id]. */
  inbox?: Array<readonly [consumer: string, eventId: string]>;
}

/**
 * The database at `url` as an older release left it, for tests of an upgrade:
 * migrated up to and including `lastMigration`, with its inbox rows. The service
 * then migrates the rest when it opens.
 */
export async function openDatabaseAsOf(
  url: string,
  migrations: Migrations,
  { lastMigration, inbox = [] }: OlderRelease,
): Promise<Kysely<unknown>> {
  if (!Object.hasOwn(migrations, lastMigration)) throw new Error(`No migration ${lastMigration}`);
  const released = Object.fromEntries(
    Object.entries(migrations).filter(([name]) => name <= lastMigration),
  );
  const db = await openDatabase(url, released, { max: 1 });
  for (const [consumer, eventId] of inbox) {
    await sql`INSERT INTO inbox (consumer, event_id) VALUES (${consumer}, ${eventId})`.execute(db);
  }
  return db;
}

/** Which consumers recorded event `eventId` in the inbox, sorted. */
export async function inboxConsumersOf(db: Kysely<unknown>, eventId: string): Promise<string[]> {
  const { rows } = await sql<{ consumer: string }>`
    SELECT consumer FROM inbox WHERE event_id = ${eventId} ORDER BY consumer`.execute(db);
  return rows.map((row) => row.consumer);
}
