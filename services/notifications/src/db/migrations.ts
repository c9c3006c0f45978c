import {
  eventTablesMigration,
  inboxHandledAtIndexMigration,
  type Migrations,
  outboxTraceContextMigration,
} from '@gittix/common';
import { sql } from 'kysely';

export const migrations: Migrations = {
  '0000_event_tables': eventTablesMigration,
  '0001_users_orders_emails': {
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_verified', 'boolean', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('orders')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('buyer_id', 'uuid')
        .addColumn('seller_id', 'uuid')
        .addColumn('ticket_id', 'uuid')
        .addColumn('ticket_title', 'text')
        .execute();
      await db.schema
        .createTable('emails')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('event_id', 'uuid', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('user_id', 'uuid')
        .addColumn('to_address', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .addColumn('html', 'text')
        .addColumn('carries_secret', 'boolean', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_error', 'text')
        .addColumn('sent_at', 'timestamptz')
        .addColumn('failed_at', 'timestamptz')
        .addUniqueConstraint('emails_event_kind_key', ['event_id', 'kind'])
        .execute();
      // The sender's question: what is due now.
      await sql`
        CREATE INDEX emails_due ON emails (next_attempt_at)
        WHERE sent_at IS NULL AND failed_at IS NULL AND to_address IS NOT NULL`.execute(db);
      // A user's arrival in the replica releases what waited for them.
      await sql`CREATE INDEX emails_parked ON emails (user_id) WHERE to_address IS NULL`.execute(
        db,
      );
    },
  },
  // The inbox is pruned by age (EVENT_TABLES_RETENTION_HOURS), oldest first.
  '0002_inbox_handled_at': inboxHandledAtIndexMigration,
  '0003_outbox_trace_context': outboxTraceContextMigration,
  // An email that only means something until then (a hold's pay-by time) is not sent after.
  '0004_emails_stale_after': {
    async up(db) {
      await sql`ALTER TABLE emails ADD COLUMN stale_after timestamptz`.execute(db);
      // The sender's other question, each pass: which unsent emails went out of date.
      await sql`
        CREATE INDEX emails_stale ON emails (stale_after)
        WHERE sent_at IS NULL AND failed_at IS NULL AND stale_after IS NOT NULL`.execute(db);
    },
  },
  // Whether a ticket's file is attached and who bought it: the buyer hears of the
  // download once, in the receipt or in "Your ticket is ready", whichever comes last.
  '0005_tickets': {
    async up(db) {
      await db.schema
        .createTable('tickets')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('has_file', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('order_id', 'uuid')
        .addColumn('buyer_id', 'uuid')
        .execute();
    },
  },
  // A hold email is only true while its order is open: once the order is cancelled, an
  // unsent one is given up, and an order.created handled after it queues none.
  '0006_order_ended': {
    async up(db) {
      await sql`ALTER TABLE orders ADD COLUMN ended_at timestamptz`.execute(db);
      await sql`ALTER TABLE emails ADD COLUMN order_id uuid`.execute(db);
      await sql`
        CREATE INDEX emails_unsent_by_order ON emails (order_id)
        WHERE order_id IS NOT NULL AND sent_at IS NULL AND failed_at IS NULL`.execute(db);
    },
  },
};
