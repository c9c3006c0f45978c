import {
  eventTablesMigration,
  inboxHandledAtIndexMigration,
  type Migrations,
  renameInboxConsumers,
} from '@gittix/common';
import { sql } from 'kysely';

/** The constraint that makes "one payment per order" a database guarantee. */
export const PAYMENTS_ORDER_ID_INDEX = 'payments_order_id_key';

export const migrations: Migrations = {
  '0000_event_tables': eventTablesMigration,
  '0001_orders': {
    async up(db) {
      await db.schema
        .createTable('orders')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('user_id', 'uuid')
        .addColumn('price_cents', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0002_payments': {
    async up(db) {
      await db.schema
        .createTable('payments')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('order_id', 'uuid', (c) => c.notNull())
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('refunded_at', 'timestamptz')
        .addColumn('refund_id', 'text')
        .addUniqueConstraint(PAYMENTS_ORDER_ID_INDEX, ['order_id'])
        .execute();
      await db.schema
        .createIndex('payments_user_id_created_at_idx')
        .on('payments')
        .columns(['user_id', 'created_at desc'])
        .execute();
      await db.schema
        .createTable('payment_declines')
        .addColumn('order_id', 'uuid', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('declined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('payment_declines_pkey', ['order_id', 'attempt'])
        .execute();
    },
  },
  // Inbox keys were typed by hand; they are the durable consumers' names now.
  '0003_inbox_keys_are_durable_names': renameInboxConsumers({
    'payments_order.created': 'payments_order_created',
    'payments_order.cancelled': 'payments_order_cancelled',
  }),
  // The inbox is pruned by age (EVENT_TABLES_RETENTION_HOURS), oldest first.
  '0004_inbox_handled_at': inboxHandledAtIndexMigration,
};
