import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.js';
import { RepeatedStatements } from '../src/repeated-statements.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

/** The statements prepared on the pool's one connection, by name. */
async function preparedOn(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM pg_prepared_statements ORDER BY name`.execute(db);
  return rows.map((r) => r.name);
}

describe('repeated statements run prepared', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('repeated');
    const db = createDb(database.url, { max: 1 });
    await sql`CREATE TABLE seats (id int PRIMARY KEY, holder text)`.execute(db);
    await sql`INSERT INTO seats SELECT i, NULL FROM generate_series(1, 5) AS i`.execute(db);
    await db.destroy();
  });
  afterAll(() => database.drop());

  it('when a parameterised statement runs a second time, then it is prepared once and answers the same', async () => {
    const db = createDb(database.url, { max: 1 });
    try {
      const read = (id: number) =>
        sql<{ id: number }>`SELECT id FROM seats WHERE id = ${id} AND holder IS NULL`.execute(db);
      expect((await read(1)).rows).toEqual([{ id: 1 }]);
      expect((await preparedOn(db)).filter((n) => n.startsWith('auto_'))).toEqual([]);
      expect((await read(2)).rows).toEqual([{ id: 2 }]);
      expect((await read(9)).rows).toEqual([]);
      const prepared = (await preparedOn(db)).filter((n) => n.startsWith('auto_'));
      // The read only: this test's catalogue query has no parameters.
      expect(prepared).toHaveLength(1);
      // Statements without parameters (BEGIN, COMMIT, DDL) are never named.
      await db.transaction().execute(async (trx) => {
        await sql`UPDATE seats SET holder = ${'a'} WHERE id = ${3}`.execute(trx);
      });
      expect((await read(3)).rows).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('when a statement reads * and a migration then adds a column, then it still runs (never prepared) and sees the column', async () => {
    const db = createDb(database.url, { max: 1 });
    try {
      const everything = (id: number) =>
        sql<Record<string, unknown>>`SELECT * FROM seats WHERE id = ${id}`.execute(db);
      const counted = (id: number) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM seats WHERE id > ${id}`.execute(db);
      for (const id of [1, 2, 3]) await everything(id);
      await counted(0);
      await counted(1);
      const prepared = (await preparedOn(db)).filter((n) => n.startsWith('auto_'));
      expect(prepared).toHaveLength(1); // the count only

      await sql`ALTER TABLE seats ADD COLUMN row_note text`.execute(db);
      expect((await everything(4)).rows[0]).toHaveProperty('row_note', null);
    } finally {
      await sql`ALTER TABLE seats DROP COLUMN IF EXISTS row_note`.execute(db);
      await db.destroy();
    }
  });

  it('when prepareRepeated is false, then nothing is prepared', async () => {
    const db = createDb(database.url, { max: 1, prepareRepeated: false });
    try {
      for (const id of [1, 2, 4]) {
        await sql`SELECT id FROM seats WHERE id = ${id}`.execute(db);
      }
      expect(await preparedOn(db)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('when a statement fails, then the same text still runs and fails alike the next times', async () => {
    const db = createDb(database.url, { max: 1 });
    try {
      const insert = (id: number) => sql`INSERT INTO seats (id) VALUES (${id})`.execute(db);
      for (let i = 0; i < 3; i++) {
        await expect(insert(1)).rejects.toMatchObject({ code: '23505' });
      }
      await insert(100 + 1);
      await expect(insert(101)).rejects.toMatchObject({ code: '23505' });
    } finally {
      await db.destroy();
    }
  });

  it('when a process has named its quota of texts, then further texts stay unnamed', () => {
    const statements = new RepeatedStatements();
    const names = new Set<string | undefined>();
    for (let i = 0; i < 600; i++) {
      const text = `SELECT ${i} WHERE $1`;
      expect(statements.nameOf(text)).toBeUndefined();
      names.add(statements.nameOf(text));
    }
    names.delete(undefined);
    expect(names.size).toBe(500);
    // A text named before keeps its name.
    expect(statements.nameOf('SELECT 0 WHERE $1')).toMatch(/^auto_/);
  });
});
