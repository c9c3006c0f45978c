import { eventTablesMigration, type Migrations } from '@gittix/common';
import { sql } from 'kysely';

export const migrations: Migrations = {
  '0000_event_tables': eventTablesMigration,
  '0001_tickets': {
    async up(db) {
      await db.schema
        .createTable('tickets')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('price_cents', 'integer', (c) =>
          c.notNull().check(sql`price_cents > 0 AND price_cents <= 100000000`),
        )
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('order_id', 'uuid')
        .addColumn('created_at', 'timestamptz', (c) =>
          c.notNull().defaultTo(sql`clock_timestamp()`),
        )
        .execute();
      // Listing walks (created_at, id) newest first, whole or filtered.
      await sql`CREATE INDEX tickets_newest ON tickets (created_at DESC, id DESC)`.execute(db);
      await sql`
        CREATE INDEX tickets_available_newest ON tickets (created_at DESC, id DESC)
        WHERE order_id IS NULL`.execute(db);
      await sql`CREATE INDEX tickets_seller_newest ON tickets (user_id, created_at DESC, id DESC)`.execute(
        db,
      );
      // Substring search (`q`) is ILIKE '%…%', which only a trigram index can serve.
      await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
      await sql`CREATE INDEX tickets_title_trgm ON tickets USING gin (title gin_trgm_ops)`.execute(
        db,
      );
    },
  },
  '0002_orders_seen': {
    async up(db) {
      await db.schema
        .createTable('orders_seen')
        .addColumn('order_id', 'uuid', (c) => c.primaryKey())
        .addColumn('ticket_id', 'uuid', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('cancelled', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema
        .createIndex('orders_seen_ticket')
        .on('orders_seen')
        .columns(['ticket_id', 'expires_at'])
        .execute();
    },
  },
};
