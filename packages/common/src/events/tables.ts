import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The outbox (events waiting to be published) and the inbox (events already
 * handled, per consumer). Every service with a database runs this migration
 * first, so its state changes and its events share one transaction.
 */
export const eventTablesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE outbox (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        subject text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      )`.execute(db);
    await sql`CREATE INDEX outbox_pending ON outbox (seq) WHERE sent_at IS NULL`.execute(db);
    await sql`
      CREATE TABLE inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE inbox`.execute(db);
    await sql`DROP TABLE outbox`.execute(db);
  },
};

/**
 * The W3C trace context (`traceparent`, `tracestate`) of the request or event that
 * wrote each outbox row, so the relay publishes it as a child of that request even
 * though it runs later, in another transaction. Every service with an outbox runs
 * it after eventTablesMigration; rows written before it have none.
 */
export const outboxTraceContextMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_context jsonb`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`ALTER TABLE outbox DROP COLUMN IF EXISTS trace_context`.execute(db);
  },
};

/** The channel a commit with new outbox rows notifies, so the relay wakes at once. */
export const OUTBOX_CHANNEL = 'gittix_outbox';

/**
 * A migration that moves inbox rows from old consumer keys to new ones (old → new),
 * so events handled under the old key are still recognised as handled.
 */
export function renameInboxConsumers(renames: Record<string, string>): Migration {
  const move = async (db: Kysely<unknown>, from: string, to: string) => {
    await sql`
      UPDATE inbox SET consumer = ${to} WHERE consumer = ${from} AND NOT EXISTS (
        SELECT 1 FROM inbox AS moved WHERE moved.consumer = ${to} AND moved.event_id = inbox.event_id
      )`.execute(db);
    // Whatever is left was already recorded under the new key.
    await sql`DELETE FROM inbox WHERE consumer = ${from}`.execute(db);
  };
  return {
    async up(db) {
      for (const [from, to] of Object.entries(renames)) await move(db, from, to);
    },
    async down(db) {
      for (const [from, to] of Object.entries(renames)) await move(db, to, from);
    },
  };
}
