import { type Kysely, type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDb,
  type LockTimeoutRetry,
  MigrationError,
  type Migrations,
  migrate,
  migrateDatabase,
  migrationStatus,
  replaceIndex,
  type SchemaMigration,
} from '../src/db.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../src/testing/index.js';

/** A migration that runs these statements, in order. */
const runs = (...statements: RawBuilder<unknown>[]): SchemaMigration => ({
  async up(db) {
    for (const statement of statements) await statement.execute(db);
  },
});

const seats: Migrations = {
  '0001_seats': runs(
    sql`CREATE TABLE seats (id integer PRIMARY KEY)`,
    sql`INSERT INTO seats VALUES (1), (2)`,
  ),
};

/** A release that adds a column: its ALTER TABLE needs the table to itself. */
const withNote: Migrations = {
  ...seats,
  '0002_seat_note': runs(sql`ALTER TABLE seats ADD COLUMN note text`),
};

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A transaction that has read `seats` and stays open: it holds the table's ACCESS SHARE lock. */
async function longTransaction(url: string): Promise<pg.Client> {
  const client = await connect(url);
  await client.query('BEGIN');
  await client.query('SELECT count(*) FROM seats');
  return client;
}

async function columns(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns WHERE table_name = 'seats'
    ORDER BY ordinal_position`.execute(db);
  return rows.map((row) => row.column_name);
}

describe('migrations wait a bounded time for a lock, so a long transaction cannot stop a table during a deploy', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('miglock');
    db = createDb(database.url, { max: 1 });
    await migrate(db, seats);
  });
  afterEach(async () => {
    // Ends every transaction a test left open (and the migration waiting on it, if any).
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('when a transaction holds the table, then the ALTER gives up at its lock timeout, nothing of it stays, and the reads queued behind it go on while that transaction is still open', async () => {
    const holder = await longTransaction(database.url);
    clients.push(holder);
    const migration = migrate(db, withNote, { lockTimeoutMs: 1_500 }).then(
      () => 'migrated',
      (error: unknown) => error,
    );
    // The ALTER is queued for its lock: a plain read of the table now queues behind it.
    // (Asked outside the holder's transaction, which would see one snapshot of the view.)
    const monitor = await connect(database.url);
    clients.push(monitor);
    await waitFor(
      async () => {
        const { rows } = await monitor.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE 'ALTER TABLE seats%'`,
        );
        return rows[0]!.waiting === 1;
      },
      { timeoutMs: 5_000, message: 'the ALTER waiting for its lock' },
    );
    const reader = await connect(database.url);
    clients.push(reader);
    const read = reader.query<{ count: number }>('SELECT count(*)::int AS count FROM seats');

    const outcome = await migration;
    expect(outcome).toBeInstanceOf(MigrationError);
    expect(outcome).toMatchObject({ migration: '0002_seat_note', lockTimedOut: true });
    expect(String(outcome)).toContain('lock timeout');
    // The holder has not ended, yet the read behind the ALTER is answered.
    expect((await read).rows[0]!.count).toBe(2);
    expect(await columns(db)).toEqual(['id']);
    expect((await migrationStatus(db, withNote)).pending).toEqual(['0002_seat_note']);
  });

  it('when the lock is freed while the migrate step backs off, then the next run applies the migration, after one reported retry', async () => {
    const holder = await longTransaction(database.url);
    clients.push(holder);
    const retries: LockTimeoutRetry[] = [];
    const report = await migrateDatabase(database.url, withNote, {
      lockTimeoutMs: 300,
      lockAttempts: 3,
      onLockTimeout: (retry) => retries.push(retry),
      // The long transaction ends during the back-off.
      delay: async () => {
        await holder.query('COMMIT');
      },
    });
    expect(report.applied).toEqual(['0002_seat_note']);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ migration: '0002_seat_note', attempt: 1, attempts: 3 });
    expect(retries[0]!.retryInMs).toBeGreaterThanOrEqual(500);
    expect(retries[0]!.retryInMs).toBeLessThanOrEqual(1_000);
    expect(await columns(db)).toEqual(['id', 'note']);
    // lock_timeout was the migration transaction's own: the connection is back to none.
    const { rows } = await sql<{ lock_timeout: string }>`SHOW lock_timeout`.execute(db);
    expect(rows[0]!.lock_timeout).toBe('0');
  });

  it('when the lock stays held, then the migrate step stops after its last attempt with the lock timeout', async () => {
    const more: Migrations = {
      ...withNote,
      '0003_seat_row': runs(sql`ALTER TABLE seats ADD COLUMN seat_row text`),
    };
    clients.push(await longTransaction(database.url));
    const retries: LockTimeoutRetry[] = [];
    const failed = await migrateDatabase(database.url, more, {
      lockTimeoutMs: 200,
      lockAttempts: 2,
      onLockTimeout: (retry) => retries.push(retry),
      delay: async () => {},
    }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ migration: '0003_seat_row', lockTimedOut: true });
    expect(retries.map((retry) => retry.attempt)).toEqual([1]);
  });

  it('when a migration fails for another reason, then it is not run again', async () => {
    const broken: Migrations = {
      ...withNote,
      '0003_broken': runs(sql`ALTER TABLE no_such_table ADD COLUMN x text`),
    };
    const retries: LockTimeoutRetry[] = [];
    const failed = await migrateDatabase(database.url, broken, {
      onLockTimeout: (retry) => retries.push(retry),
    }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ migration: '0003_broken', lockTimedOut: false });
    expect(retries).toEqual([]);
  });
});

describe('replaceIndex: an index rebuilt beside the old one, then swapped in, safe to run again', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  const uniqueNames = (next: RawBuilder<unknown>) =>
    sql`CREATE UNIQUE INDEX CONCURRENTLY ${next} ON names (name)`;

  async function indexes(): Promise<Array<{ name: string; valid: boolean; unique: boolean }>> {
    const { rows } = await sql<{ name: string; valid: boolean; unique: boolean }>`
      SELECT c.relname AS name, i.indisvalid AS valid, i.indisunique AS unique
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = 'names'::regclass AND NOT i.indisprimary ORDER BY 1`.execute(db);
    return rows;
  }

  beforeAll(async () => {
    database = await createTestDatabase('replidx');
    db = createDb(database.url, { max: 1 });
    await sql`CREATE TABLE names (id serial PRIMARY KEY, name text NOT NULL)`.execute(db);
    await sql`CREATE INDEX names_key ON names (name)`.execute(db);
    await sql`INSERT INTO names (name) VALUES ('ada'), ('ada'), ('grace')`.execute(db);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('when a build failed part way, then its invalid index is dropped and built again, and the new one takes the name', async () => {
    // The duplicate fails the unique build and leaves an invalid index, as a crash would.
    await expect(replaceIndex(db, 'names_key', uniqueNames)).rejects.toThrow(/could not create/);
    expect(await indexes()).toEqual([
      { name: 'names_key', valid: true, unique: false },
      { name: 'names_key_next', valid: false, unique: true },
    ]);

    await sql`DELETE FROM names WHERE id = (SELECT max(id) FROM names WHERE name = 'ada')`.execute(
      db,
    );
    await replaceIndex(db, 'names_key', uniqueNames);
    expect(await indexes()).toEqual([{ name: 'names_key', valid: true, unique: true }]);
  });

  it('when it runs again after it finished, then the same index stands under the name', async () => {
    await replaceIndex(db, 'names_key', uniqueNames);
    expect(await indexes()).toEqual([{ name: 'names_key', valid: true, unique: true }]);
    await expect(sql`INSERT INTO names (name) VALUES ('grace')`.execute(db)).rejects.toThrow(
      /duplicate key/,
    );
  });

  it('when migrate runs a migration statement by statement, then a concurrent build works in it, and one in a transaction cannot', async () => {
    const inTransaction: Migrations = {
      '0001_index': runs(sql`CREATE INDEX CONCURRENTLY names_id_name ON names (id, name)`),
    };
    await expect(migrate(db, inTransaction)).rejects.toThrow(/cannot run inside a transaction/);
    await migrate(db, { '0001_index': { ...inTransaction['0001_index']!, transaction: false } });
    expect((await indexes()).map((index) => index.name)).toContain('names_id_name');
    const { rows } = await sql<{ lock_timeout: string }>`SHOW lock_timeout`.execute(db);
    expect(rows[0]!.lock_timeout).toBe('0');
  });

  it('when the two kinds alternate, then every migration runs, in order, each in its mode', async () => {
    const alternating: Migrations = {
      '0001_index': { transaction: false, async up() {} },
      '0002_seats': runs(sql`CREATE TABLE seats_b (id integer PRIMARY KEY)`),
      '0003_seats_row': runs(sql`ALTER TABLE seats_b ADD COLUMN seat_row text`),
      '0004_seats_row_index': {
        ...runs(sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS seats_b_row ON seats_b (seat_row)`),
        transaction: false,
      },
      '0005_a_seat': runs(sql`INSERT INTO seats_b VALUES (1, 'A')`),
    };
    await migrate(db, alternating);
    const { rows } = await sql<{ name: string }>`
      SELECT name FROM kysely_migration ORDER BY timestamp, name`.execute(db);
    expect(rows.map((row) => row.name)).toEqual(Object.keys(alternating));
    const { rows: seats } = await sql<{ seat_row: string }>`SELECT seat_row FROM seats_b`.execute(
      db,
    );
    expect(seats).toEqual([{ seat_row: 'A' }]);
  });
});
