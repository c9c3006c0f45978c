import { randomUUID } from 'node:crypto';
import { createDb, migrate } from '@gittix/common';
import {
  createTestDatabase,
  openDatabaseAsOf,
  type TestDatabase,
  waitFor,
} from '@gittix/common/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_ONE_LINE_PER_KIND_INDEX, migrations } from '../src/db/migrations.js';

const lineSql = `INSERT INTO ledger_entries (posting_id, account, amount_cents, kind, payment_id)
                 VALUES (gen_random_uuid(), 'buyer', 2500, 'sale', $1)`;

/** Rejects if `promise` has not settled within `ms`: a write that waits behind a lock. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('upgrading a payments database past 0016 and 0017, whose ledger index is rebuilt', () => {
  let database: TestDatabase;
  let old: Kysely<unknown>;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    database = await createTestDatabase('ledgeridx');
    old = await openDatabaseAsOf(database.url, migrations, {
      lastMigration: '0015_payments_processing_fee',
    });
    await sql`INSERT INTO ledger_entries (posting_id, account, amount_cents, kind, payment_id)
              VALUES (gen_random_uuid(), 'buyer', 2500, 'sale', ${randomUUID()})`.execute(old);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
    await old?.destroy();
    await database?.drop();
  });

  it('when a posting is being written as the migrate step runs, then new postings go on while the index is rebuilt, and it ends as 0017 defines it', async () => {
    // A posting in flight: its transaction has written a line and not committed yet.
    const inFlight = await connect();
    await inFlight.query('BEGIN');
    await inFlight.query(lineSql, [randomUUID()]);

    const migrating = createDb<unknown>(database.url, { max: 1 });
    let migrated = false;
    const migration = migrate(migrating, migrations, { lockTimeoutMs: 20_000 }).then(() => {
      migrated = true;
    });
    const monitor = await connect();
    // The migration is waiting for the posting in flight (a concurrent build waits for
    // the writers before it; a DROP INDEX in a transaction would wait the same way).
    await waitFor(
      async () => {
        const { rows } = await monitor.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows[0]!.waiting > 0;
      },
      { timeoutMs: 10_000, message: 'the migration waiting for the posting in flight' },
    );

    // Meanwhile a new posting is written and committed at once.
    const writer = await connect();
    await within(writer.query(lineSql, [randomUUID()]), 3_000, 'a posting during the migration');
    expect(migrated).toBe(false);

    await inFlight.query('COMMIT');
    await migration;
    await migrating.destroy();

    const { rows: indexes } = await monitor.query<{ name: string; valid: boolean; def: string }>(
      `SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = 'ledger_entries'::regclass AND i.indisunique AND NOT i.indisprimary`,
    );
    expect(indexes).toHaveLength(1);
    expect(indexes[0]).toMatchObject({ name: LEDGER_ONE_LINE_PER_KIND_INDEX, valid: true });
    expect(indexes[0]!.def).toContain("'dispute_fee'::text, 'partial_refund'::text");
    const { rows } = await monitor.query<{ lines: number }>(
      'SELECT count(*)::int AS lines FROM ledger_entries',
    );
    expect(rows[0]!.lines).toBe(3);
    const { rows: columns } = await monitor.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_name = 'payments' AND column_name LIKE '%_cents' ORDER BY 1`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(
      expect.arrayContaining(['charged_back_cents', 'dispute_fee_cents', 'refunded_cents']),
    );
  });
});
