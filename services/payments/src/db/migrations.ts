import {
  eventTablesMigration,
  inboxHandledAtIndexMigration,
  type Migrations,
  outboxTraceContextMigration,
  renameInboxConsumers,
  replaceIndex,
} from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import { sandboxClockMigration, sandboxTablesMigration } from '../providers/sandbox-store.js';

/** One ledger line per payment, kind and account, but for the kinds posted once per change. */
export const LEDGER_ONE_LINE_PER_KIND_INDEX = 'ledger_entries_payment_kind_key';

/**
 * Rebuilds the ledger's one-line-per-kind index with the `exempt` kinds left out (each
 * of their changes is a posting of its own). Run statement by statement (replaceIndex),
 * so the ledger keeps taking postings during the build; safe to run again.
 */
function exemptFromOneLinePerKind(db: Kysely<unknown>, exempt: readonly string[]) {
  const kinds = sql.join(exempt.map((kind) => sql.lit(kind)));
  return replaceIndex(
    db,
    LEDGER_ONE_LINE_PER_KIND_INDEX,
    (next) => sql`CREATE UNIQUE INDEX CONCURRENTLY ${next}
                    ON ledger_entries (payment_id, kind, account) WHERE kind NOT IN (${kinds})`,
  );
}

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
  // Authorize, then capture: an attempt is a row before the provider hears of it.
  '0004_authorize_capture_ledger_payouts': {
    async up(db) {
      await db.schema
        .alterTable('orders')
        .addColumn('seller_id', 'uuid')
        .addColumn('event_starts_at', 'timestamptz')
        .execute();
      await sql`ALTER TABLE payments ALTER COLUMN provider_id DROP NOT NULL`.execute(db);
      await db.schema
        .alterTable('payments')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('captured'))
        .addColumn('fee_cents', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('idempotency_key', 'text')
        .addColumn('claimed_until', 'timestamptz')
        .addColumn('next_action', 'text')
        .addColumn('action_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz')
        .addColumn('last_error', 'text')
        .addColumn('captured_at', 'timestamptz')
        .addColumn('voided_at', 'timestamptz')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`UPDATE payments SET status = 'refunded' WHERE refunded_at IS NOT NULL`.execute(db);
      await db.schema
        .createIndex('payments_pending_idx')
        .on('payments')
        .column('claimed_until')
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('payments_next_action_idx')
        .on('payments')
        .column('next_attempt_at')
        .where(sql.ref('next_action'), 'is not', null)
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_verified', 'boolean', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('payouts')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('payouts_user_id_created_at_idx')
        .on('payouts')
        .columns(['user_id', 'created_at desc'])
        .execute();
      // Double entry: every posting's lines sum to zero, so the whole ledger does.
      await db.schema
        .createTable('ledger_entries')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('posting_id', 'uuid', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payment_id', 'uuid')
        .addColumn('payout_id', 'uuid')
        .addColumn('available_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('ledger_entries_account_idx')
        .on('ledger_entries')
        .columns(['account', 'available_at'])
        .execute();
      await db.schema
        .createIndex(LEDGER_ONE_LINE_PER_KIND_INDEX)
        .unique()
        .on('ledger_entries')
        .columns(['payment_id', 'kind', 'account'])
        .execute();
    },
  },
  // The inbox is pruned by age (EVENT_TABLES_RETENTION_HOURS), oldest first.
  '0005_inbox_handled_at': inboxHandledAtIndexMigration,
  '0006_outbox_trace_context': outboxTraceContextMigration,
  // Stripe Connect: a seller's payout account, and payouts that a crash cannot lose.
  '0007_payout_accounts': {
    async up(db) {
      await db.schema
        .createTable('payout_accounts')
        .addColumn('user_id', 'uuid', (c) => c.primaryKey())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull().unique())
        .addColumn('payouts_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('details_submitted', 'boolean', (c) => c.notNull().defaultTo(false))
        // When the provider said so: an older webhook delivery cannot undo a newer state.
        .addColumn('state_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .alterTable('payouts')
        .addColumn('destination', 'text')
        .addColumn('claimed_until', 'timestamptz')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('payouts_pending_idx')
        .on('payouts')
        .column('claimed_until')
        .where(sql.ref('status'), '=', 'pending')
        .execute();
    },
  },
  // The sandbox provider's tables, which it used to create on first use.
  '0008_sandbox_tables': sandboxTablesMigration,
  // The ticket an order buys: payment.captured names it, so the buyer's receipt can
  // say whether the ticket's file is there to download.
  '0009_orders_ticket_id': {
    async up(db) {
      await sql`ALTER TABLE orders ADD COLUMN ticket_id uuid`.execute(db);
    },
  },
  // A payout cut by refunds while it waited is sent under a key of its own.
  '0010_payouts_idempotency_key': {
    async up(db) {
      await sql`ALTER TABLE payouts ADD COLUMN idempotency_key text`.execute(db);
    },
  },
  // One sale is at most $1,000,000, but a payout (and its ledger line) carries every
  // sale since the last one: past $21,474,836.47 an integer column refused it (a 500
  // on every payout). bigint cents (pg's INT8 is read as a number: exact to 2^53).
  '0011_payout_amounts_bigint': {
    async up(db) {
      await sql`ALTER TABLE payouts ALTER COLUMN amount_cents TYPE bigint`.execute(db);
      await sql`ALTER TABLE ledger_entries ALTER COLUMN amount_cents TYPE bigint`.execute(db);
    },
  },
  // When an attempt's key last went to the provider (a retry reclaims an old attempt):
  // reconciliation waits out the provider's lookup lag from then, not from created_at.
  '0012_payments_attempted_at': {
    async up(db) {
      await sql`ALTER TABLE payments ADD COLUMN attempted_at timestamptz`.execute(db);
    },
  },
  // The sandbox forgets idempotency keys after a day and releases holds after 7, as Stripe.
  '0013_sandbox_clock': sandboxClockMigration,
  // A sale the buyer charged back (a dispute the platform lost) is reversed as a refund
  // is, but no refund gave the money back: the row names the dispute, not a refund.
  '0014_payments_dispute_id': {
    async up(db) {
      await sql`ALTER TABLE payments ADD COLUMN dispute_id text`.execute(db);
    },
  },
  // What the processor kept of a captured sale (Stripe's fee), posted to the ledger once
  // the processor says it; captured rows from before are looked up the same way.
  '0015_payments_processing_fee': {
    async up(db) {
      await sql`ALTER TABLE payments ADD COLUMN processing_fee_cents bigint`.execute(db);
      await sql`ALTER TABLE payments ADD COLUMN processing_fee_checked_at timestamptz`.execute(db);
      await sql`CREATE INDEX payments_processing_fee_due_idx
                  ON payments (provider, processing_fee_checked_at NULLS FIRST)
                  WHERE status IN ('captured', 'refunded') AND processing_fee_cents IS NULL`.execute(
        db,
      );
    },
  },
  // A dispute's fees, as its balance transactions list them so far; each change is a
  // posting of its own, so `dispute_fee` lines are exempt from one-line-per-kind.
  '0016_payments_dispute_fees': {
    transaction: false,
    async up(db) {
      await sql`ALTER TABLE payments
                  ADD COLUMN IF NOT EXISTS dispute_fee_cents bigint NOT NULL DEFAULT 0,
                  ADD COLUMN IF NOT EXISTS dispute_funds_seen integer NOT NULL DEFAULT 0`.execute(
        db,
      );
      await exemptFromOneLinePerKind(db, ['dispute_fee']);
    },
  },
  // Part of a sale given back while it stands (a partial refund or chargeback): the
  // amounts, and `partial_refund` postings, one per change, exempt from one-line-per-kind.
  '0017_payments_partial_reversals': {
    transaction: false,
    async up(db) {
      await sql`ALTER TABLE payments
                  ADD COLUMN IF NOT EXISTS refunded_cents bigint NOT NULL DEFAULT 0,
                  ADD COLUMN IF NOT EXISTS charged_back_cents bigint NOT NULL DEFAULT 0`.execute(
        db,
      );
      await exemptFromOneLinePerKind(db, ['dispute_fee', 'partial_refund']);
    },
  },
};
