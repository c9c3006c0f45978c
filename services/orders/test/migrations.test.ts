import { randomUUID } from 'node:crypto';
import { createDb, migrate } from '@gittix/common';
import { createTestDatabase, type TestDatabase } from '@gittix/common/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations.js';
import type { OrdersDatabase } from '../src/db/schema.js';

/** The migrations a database deployed before `name` had run. */
const migrationsBefore = (name: string) =>
  Object.fromEntries(Object.entries(migrations).filter(([key]) => key < name));

describe('orders migrations', () => {
  let database: TestDatabase;
  let db: Kysely<OrdersDatabase>;
  const ticketId = randomUUID();
  const orderId = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase('orders_migrations');
    db = createDb<OrdersDatabase>(database.url, { max: 2 });
    await migrate(db as Kysely<unknown>, migrationsBefore('0003_money_columns_in_cents'));
    // Rows written under the old column names, as a running system had them.
    await sql`INSERT INTO tickets (id, title, price, user_id, version)
      VALUES (${ticketId}, 'Old seat', 4250, ${randomUUID()}, 0)`.execute(db);
    await sql`INSERT INTO orders (id, user_id, ticket_id, ticket_title, ticket_price, status, expires_at)
      VALUES (${orderId}, ${randomUUID()}, ${ticketId}, 'Old seat', 4250, 'created', now())`.execute(
      db,
    );
    await migrate(db as Kysely<unknown>, migrations);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('when a database from before 0003 is migrated, then its prices are kept in the _cents columns', async () => {
    const ticket = await db
      .selectFrom('tickets')
      .select('price_cents')
      .where('id', '=', ticketId)
      .executeTakeFirstOrThrow();
    const order = await db
      .selectFrom('orders')
      .select('ticket_price_cents')
      .where('id', '=', orderId)
      .executeTakeFirstOrThrow();

    expect(ticket.price_cents).toBe(4250);
    expect(order.ticket_price_cents).toBe(4250);
  });

  it('when a replica price is not positive after the rename, then the check still refuses it', async () => {
    const zeroPrice = db
      .insertInto('tickets')
      .values({
        id: randomUUID(),
        title: 'Free seat',
        price_cents: 0,
        user_id: randomUUID(),
        version: 0,
        order_id: null,
      })
      .execute();

    await expect(zeroPrice).rejects.toMatchObject({
      code: '23514',
      constraint: 'tickets_price_cents_check',
    });
  });
});
