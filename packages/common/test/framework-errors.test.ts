import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDb, createServiceApp, type ServiceApp } from '../src/index.js';
import { createTestDatabase, type TestDatabase, testLogger } from '../src/testing/index.js';

describe('errors raised before a route runs, and values the database refuses', () => {
  let database: TestDatabase;
  let db: ReturnType<typeof createDb>;
  let app: ServiceApp;

  beforeAll(async () => {
    database = await createTestDatabase('framework');
    db = createDb(database.url, { max: 2 });
    await sql`CREATE TABLE notes (body text NOT NULL, at timestamptz)`.execute(db);
    app = await createServiceApp({ name: 'framework', logger: testLogger });
    app.get(
      '/things/:id',
      { schema: { params: z.object({ id: z.string() }) } },
      async (request) => ({
        id: request.params.id,
      }),
    );
    app.post(
      '/notes',
      { schema: { body: z.object({ body: z.string(), at: z.string().optional() }) } },
      async (request, reply) => {
        await sql`INSERT INTO notes VALUES (${request.body.body}, ${request.body.at ?? null})`.execute(
          db,
        );
        return reply.code(201).send({});
      },
    );
  });
  afterAll(async () => {
    await app.close();
    await db.destroy();
    await database.drop();
  });

  it('when a path parameter is longer than the router allows, then it is a 404 in the error shape', async () => {
    const response = await app.inject({ method: 'GET', url: `/things/${'a'.repeat(500)}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when a path has escapes that are not UTF-8, then it is a 404 in the error shape', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/things/%C0%AE',
      headers: { 'x-request-id': 'trace-me-1' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['x-request-id']).toBe('trace-me-1');
    expect(response.json()).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it.each([
    ['a NUL character in text', { body: 'a\u0000b' }],
    ['a date Postgres cannot store', { body: 'ok', at: '0000-01-01T00:00:00Z' }],
  ])(
    'when the database refuses %s, then it is a 400 and nothing is stored',
    async (_what, payload) => {
      const response = await app.inject({ method: 'POST', url: '/notes', payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'Invalid value in request' }] });
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM notes`.execute(db);
      expect(rows[0]!.n).toBe(0);
    },
  );
});
