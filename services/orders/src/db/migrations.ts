import {
  eventTablesMigration,
  inboxHandledAtIndexMigration,
  type Migrations,
  renameInboxConsumers,
} from '@gittix/common';
import { sql } from 'kysely';

/**
 * The index that makes "one live order per ticket" a database guarantee: of all
 * orders for a ticket, at most one is created, awaiting:payment or complete.
 */
export const TICKET_RESERVED_INDEX = 'orders_ticket_reserved';

export const migrations: Migrations = {
  '0000_event_tables': eventTablesMigration,
  '0001_tickets': {
    async up(db) {
      await db.schema
        .createTable('tickets')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('price', 'integer', (c) => c.notNull().check(sql`price > 0`))
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('order_id', 'uuid')
        .execute();
    },
  },
  '0002_orders': {
    async up(db) {
      await db.schema
        .createTable('orders')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('tickets.id'))
        .addColumn('ticket_title', 'text', (c) => c.notNull())
        .addColumn('ticket_price', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c
            .notNull()
            .check(sql`status IN ('created', 'cancelled', 'awaiting:payment', 'complete')`),
        )
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('payment_id', 'uuid')
        .addColumn('created_at', 'timestamptz', (c) =>
          c.notNull().defaultTo(sql`clock_timestamp()`),
        )
        .execute();
      await sql`
        CREATE UNIQUE INDEX ${sql.id(TICKET_RESERVED_INDEX)} ON orders (ticket_id)
        WHERE status IN ('created', 'awaiting:payment', 'complete')`.execute(db);
      await db.schema
        .createIndex('orders_user_id_created_at_idx')
        .on('orders')
        .columns(['user_id', 'created_at desc'])
        .execute();
    },
  },
  // A money column says its unit, as everywhere else in GitTix: integer cents under
  // a `_cents` name. Renamed in place, so deployed databases keep their rows.
  '0003_money_columns_in_cents': {
    async up(db) {
      await db.schema.alterTable('tickets').renameColumn('price', 'price_cents').execute();
      await db.schema
        .alterTable('tickets')
        .renameConstraint('tickets_price_check', 'tickets_price_cents_check')
        .execute();
      await db.schema
        .alterTable('orders')
        .renameColumn('ticket_price', 'ticket_price_cents')
        .execute();
    },
  },
  // Inbox keys were typed by hand; they are the durable consumers' names now.
  '0004_inbox_keys_are_durable_names': renameInboxConsumers({
    'orders_ticket.created': 'orders_ticket_created',
    'orders_ticket.updated': 'orders_ticket_updated',
    'orders_expiration.complete': 'orders_expiration_complete',
    'orders_payment.created': 'orders_payment_created',
  }),
  // The replica learns a ticket's status and its event's start, so orders can refuse
  // withdrawn and sold tickets and tickets of started events without asking tickets.
  '0005_ticket_status_and_event': {
    async up(db) {
      await db.schema
        .alterTable('tickets')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('available'))
        .addColumn('event_id', 'uuid')
        .addColumn('event_starts_at', 'timestamptz')
        .execute();
      await sql`UPDATE tickets SET status = 'reserved' WHERE order_id IS NOT NULL`.execute(db);
    },
  },
  // The sweeper's and the open-orders limit's question: which orders are still open.
  '0006_open_orders_index': {
    async up(db) {
      await sql`
        CREATE INDEX orders_open_by_expiry ON orders (expires_at)
        WHERE status IN ('created', 'awaiting:payment')`.execute(db);
      await sql`
        CREATE INDEX orders_open_by_user ON orders (user_id)
        WHERE status IN ('created', 'awaiting:payment')`.execute(db);
    },
  },
  // The inbox is pruned by age (EVENT_TABLES_RETENTION_HOURS), oldest first.
  '0007_inbox_handled_at': inboxHandledAtIndexMigration,
};
