import {
  eventTablesMigration,
  inboxHandledAtIndexMigration,
  type Migrations,
  outboxTraceContextMigration,
} from '@gittix/common';
import { sql } from 'kysely';
import { ticketFilesMigration } from '../files/migration.js';

/** Same name, venue and start (case-insensitive): one event. */
export const EVENT_UNIQUE_INDEX = 'events_unique';

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
  // The events catalogue, and a listing's lifecycle (status) and event. A ticket keeps
  // its event's start (events never move), so listings filter on it without a join.
  '0003_events_and_status': {
    async up(db) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('venue', 'text', (c) => c.notNull())
        .addColumn('city', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_by', 'uuid', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) =>
          c.notNull().defaultTo(sql`clock_timestamp()`),
        )
        .execute();
      await sql`
        CREATE UNIQUE INDEX ${sql.id(EVENT_UNIQUE_INDEX)}
        ON events (lower(name), lower(venue), starts_at)`.execute(db);
      await sql`CREATE INDEX events_soonest ON events (starts_at, id)`.execute(db);
      await sql`CREATE INDEX events_city_soonest ON events (lower(city), starts_at, id)`.execute(
        db,
      );
      for (const column of ['name', 'venue', 'city']) {
        await sql`CREATE INDEX ${sql.id(`events_${column}_trgm`)}
          ON events USING gin (${sql.id(column)} gin_trgm_ops)`.execute(db);
      }

      await db.schema
        .alterTable('tickets')
        .addColumn('status', 'text', (c) =>
          c
            .notNull()
            .defaultTo('available')
            .check(sql`status IN ('available', 'reserved', 'sold', 'withdrawn')`),
        )
        .addColumn('event_id', 'uuid', (c) => c.references('events.id'))
        .addColumn('event_starts_at', 'timestamptz')
        .execute();
      await sql`UPDATE tickets SET status = 'reserved' WHERE order_id IS NOT NULL`.execute(db);

      // "Available" is a status now: a withdrawn ticket has no order either.
      await sql`DROP INDEX tickets_available_newest`.execute(db);
      await sql`
        CREATE INDEX tickets_available_newest ON tickets (created_at DESC, id DESC)
        WHERE status = 'available'`.execute(db);
      // Public listings leave withdrawn tickets out; each sort has its index, whole
      // and per event. Descending sorts walk these backwards.
      await sql`
        CREATE INDEX tickets_listed_price ON tickets (price_cents, id)
        WHERE status <> 'withdrawn'`.execute(db);
      await sql`
        CREATE INDEX tickets_event_newest ON tickets (event_id, created_at DESC, id DESC)
        WHERE status <> 'withdrawn'`.execute(db);
      await sql`
        CREATE INDEX tickets_event_price ON tickets (event_id, price_cents, id)
        WHERE status <> 'withdrawn'`.execute(db);
      // An event's availableTickets and minPrice (count and min), and its page: the
      // tickets for sale, cheapest first.
      await sql`
        CREATE INDEX tickets_event_for_sale ON tickets (event_id, price_cents, id)
        WHERE status = 'available'`.execute(db);
    },
  },
  // The inbox is pruned by age (EVENT_TABLES_RETENTION_HOURS), oldest first.
  '0004_inbox_handled_at': inboxHandledAtIndexMigration,
  // orders_seen is pruned by age too (see prune-orders-seen.ts): when was the order first seen.
  '0005_orders_seen_seen_at': {
    async up(db) {
      await db.schema
        .alterTable('orders_seen')
        .addColumn('seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('orders_seen_seen_at')
        .on('orders_seen')
        .column('seen_at')
        .execute();
    },
  },
  // Numbered past the catalogue's migrations so both lines of work keep their order.
  '0010_ticket_files': ticketFilesMigration,
  '0011_outbox_trace_context': outboxTraceContextMigration,
  // A refund is recorded by order, apart from ticket_purchases: it may come before the
  // sale, and the two events are handled in transactions of their own, so neither
  // writes the other's row (files/schema.ts).
  '0012_purchase_refunds': {
    async up(db) {
      await db.schema
        .createTable('purchase_refunds')
        .addColumn('order_id', 'uuid', (c) => c.primaryKey())
        .addColumn('payment_id', 'uuid', (c) => c.notNull())
        .addColumn('refunded_at', 'timestamptz', (c) =>
          c.notNull().defaultTo(sql`clock_timestamp()`),
        )
        .execute();
    },
  },
  // The reservations alone, by holder: /metrics reads how overdue the oldest hold is
  // (metrics.ts) at every scrape, without scanning every ticket.
  '0013_tickets_reserved': {
    async up(db) {
      await sql`CREATE INDEX tickets_reserved ON tickets (order_id) WHERE status = 'reserved'`.execute(
        db,
      );
    },
  },
};
