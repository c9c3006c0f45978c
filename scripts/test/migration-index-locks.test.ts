/**
 * No migration builds an index on a table that already exists while holding the
 * table: `CREATE INDEX` without `CONCURRENTLY` (or a UNIQUE / PRIMARY KEY constraint
 * added to it) stops every write to the table for the whole build, and the migrate
 * step runs while the previous release serves (docs/security.md, "Postgres"). Such a
 * migration must say `transaction: false` and use `CREATE INDEX CONCURRENTLY` or
 * `replaceIndex` (packages/common/src/db.ts).
 *
 * Each service's migrations run on a fresh database, one at a time, with every
 * statement they send recorded beside the tables that existed before each began.
 * The ones that ran before the rule existed are listed: a database past them never
 * runs them again, and rewriting them would change nothing that is deployed.
 */
import { type Migrations, migrate } from '@gittix/common';
import { createTestDatabase, type TestDatabase } from '@gittix/common/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations as auth } from '../../services/auth/src/db/migrations.js';
import { migrations as notifications } from '../../services/notifications/src/db/migrations.js';
import { migrations as orders } from '../../services/orders/src/db/migrations.js';
import { migrations as payments } from '../../services/payments/src/db/migrations.js';
import { migrations as tickets } from '../../services/tickets/src/db/migrations.js';

/** Index builds that lock an existing table, in migrations older than this check. */
const BEFORE_THE_RULE = [
  'notifications 0002_inbox_handled_at: inbox',
  'notifications 0004_emails_stale_after: emails',
  'notifications 0006_order_ended: emails',
  'orders 0006_open_orders_index: orders',
  'orders 0006_open_orders_index: orders',
  'orders 0007_inbox_handled_at: inbox',
  'payments 0004_authorize_capture_ledger_payouts: payments',
  'payments 0004_authorize_capture_ledger_payouts: payments',
  'payments 0005_inbox_handled_at: inbox',
  'payments 0007_payout_accounts: payouts',
  'payments 0015_payments_processing_fee: payments',
  'tickets 0003_events_and_status: tickets',
  'tickets 0003_events_and_status: tickets',
  'tickets 0003_events_and_status: tickets',
  'tickets 0003_events_and_status: tickets',
  'tickets 0003_events_and_status: tickets',
  'tickets 0004_inbox_handled_at: inbox',
  'tickets 0005_orders_seen_seen_at: orders_seen',
  'tickets 0013_tickets_reserved: tickets',
];

const CREATE_INDEX =
  /\bcreate\s+(?:unique\s+)?index\s+(concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:"?\w+"?\s+)?on\s+(?:only\s+)?"?([\w.]+?)"?[\s(]/gi;
const ADD_KEY =
  /\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?"?([\w.]+?)"?\s[^;]*?\badd\s+(?:constraint\s+"?\w+"?\s+)?(?:unique|primary\s+key)\b(?![^;]*\busing\s+index\b)/gi;

/** The tables a statement builds an index on while holding them. */
function lockingIndexBuilds(statement: string): string[] {
  const tables: string[] = [];
  for (const [, concurrently, table] of statement.matchAll(CREATE_INDEX)) {
    if (!concurrently) tables.push(table!.split('.').at(-1)!);
  }
  for (const [, table] of statement.matchAll(ADD_KEY)) tables.push(table!.split('.').at(-1)!);
  return tables;
}

const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
});

/** `<migration>: <table>` for each index built on a table that existed before it. */
async function lockingBuildsOf(service: string, migrations: Migrations): Promise<string[]> {
  const database = await createTestDatabase(`ixl_${service}`);
  databases.push(database);
  let current: { name: string; tablesBefore: Set<string> } | undefined;
  const found: string[] = [];
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
    log: (event) => {
      if (!current) return;
      for (const table of lockingIndexBuilds(event.query.sql)) {
        if (current.tablesBefore.has(table)) found.push(`${service} ${current.name}: ${table}`);
      }
    },
  });
  const recorded: Migrations = Object.fromEntries(
    Object.entries(migrations).map(([name, migration]) => [
      name,
      {
        ...migration,
        up: async (tx: Kysely<unknown>) => {
          const { rows } = await sql<{ name: string }>`
            SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()
          `.execute(tx);
          current = { name, tablesBefore: new Set(rows.map((row) => row.name)) };
          try {
            await migration.up(tx);
          } finally {
            current = undefined;
          }
        },
      },
    ]),
  );
  try {
    await migrate(db, recorded);
  } finally {
    await db.destroy();
  }
  return found;
}

describe('migrations and the tables they index', () => {
  it('when a statement builds an index, then only one that holds its table is found', () => {
    expect(lockingIndexBuilds('create index "orders_user_idx" on "orders" ("user_id")')).toEqual([
      'orders',
    ]);
    expect(
      lockingIndexBuilds('CREATE UNIQUE INDEX x ON public.orders (ticket_id) WHERE y'),
    ).toEqual(['orders']);
    expect(lockingIndexBuilds('CREATE INDEX CONCURRENTLY x_next ON orders (a)')).toEqual([]);
    expect(
      lockingIndexBuilds('alter table "ledger" add constraint "ledger_key" unique ("a", "b")'),
    ).toEqual(['ledger']);
    expect(lockingIndexBuilds('ALTER TABLE ledger ADD PRIMARY KEY (id)')).toEqual(['ledger']);
    expect(
      lockingIndexBuilds('ALTER TABLE ledger ADD CONSTRAINT k UNIQUE USING INDEX ledger_k'),
    ).toEqual([]);
    expect(lockingIndexBuilds('ALTER TABLE ledger ADD COLUMN kind text')).toEqual([]);
  });

  it('when every service migrates a fresh database, then no migration since the rule builds an index on a table that already existed', async () => {
    const found = (
      await Promise.all(
        Object.entries({ auth, notifications, orders, payments, tickets }).map(
          ([service, migrations]) => lockingBuildsOf(service, migrations),
        ),
      )
    ).flat();

    expect(found.sort()).toEqual(BEFORE_THE_RULE);
  });
});
