import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createServiceApp, isTransientError } from '../src/index.js';
import {
  createTestDatabase,
  freePort,
  type TestDatabase,
  testLogger,
} from '../src/testing/index.js';

/** A pool aimed at a port where no Postgres listens: the database is "down". */
async function unreachableDb() {
  return createDb(`postgres://postgres@127.0.0.1:${await freePort()}/nothing`, { max: 1 });
}

describe('isTransientError', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('transient');
  });
  afterAll(() => database.drop());

  it('when Postgres cannot be reached, then the driver error is transient', async () => {
    const db = await unreachableDb();
    const error = await sql`SELECT 1`.execute(db).catch((e: unknown) => e);
    await db.destroy();
    expect(isTransientError(error)).toBe(true);
  });

  it('when the server terminates the session, then the error is transient', async () => {
    const db = createDb(database.url, { max: 1 });
    const error = await sql`SELECT pg_terminate_backend(pg_backend_pid())`
      .execute(db)
      .catch((e: unknown) => e);
    await db.destroy();
    expect(isTransientError(error)).toBe(true);
  });

  it('when a query breaks a rule (unique violation, bad SQL), then it is not transient', async () => {
    const db = createDb(database.url, { max: 1 });
    await sql`CREATE TABLE t (id int PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO t VALUES (1)`.execute(db);
    const unique = await sql`INSERT INTO t VALUES (1)`.execute(db).catch((e: unknown) => e);
    const syntax = await sql`SELEC 1`.execute(db).catch((e: unknown) => e);
    await db.destroy();
    expect(isTransientError(unique)).toBe(false);
    expect(isTransientError(syntax)).toBe(false);
    expect(isTransientError(new Error('Ticket not found'))).toBe(false);
  });

  it('when the transient cause is wrapped, then it is still found', () => {
    const wrapped = new Error('handler failed', {
      cause: Object.assign(new Error('x'), { code: '57P01' }),
    });
    expect(isTransientError(wrapped)).toBe(true);
  });
});

describe('the error handler while the database is down', () => {
  it('when a request needs an unreachable database, then it answers 503 in the error shape', async () => {
    const db = await unreachableDb();
    const app = await createServiceApp({ name: 'down', logger: testLogger });
    app.get('/things', async () => (await sql`SELECT 1 AS one`.execute(db)).rows);
    const response = await app.inject({ method: 'GET', url: '/things' });
    await app.close();
    await db.destroy();
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      errors: [{ message: 'Service temporarily unavailable, try again shortly' }],
    });
  });

  it('when a handler fails for any other reason, then it is still a bare 500', async () => {
    const app = await createServiceApp({ name: 'bug', logger: testLogger });
    app.get('/boom', async () => {
      throw new Error('secret internals at 0xdead');
    });
    const response = await app.inject({ method: 'GET', url: '/boom' });
    await app.close();
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ errors: [{ message: 'Something went wrong' }] });
  });
});
