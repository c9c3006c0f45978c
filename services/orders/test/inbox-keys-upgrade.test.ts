import { randomUUID } from 'node:crypto';
import { createEnvelope, durableName } from '@gittix/common';
import {
  createTestEnvironment,
  inboxConsumersOf,
  openDatabaseAsOf,
  type TestEnvironment,
  ticketCreatedData,
  ticketUpdatedData,
  waitFor,
} from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations.js';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('upgrading an orders database whose inbox keys were typed by hand', () => {
  let environment: TestEnvironment;
  let old: Kysely<unknown>;
  let f: OrdersFixture;
  // Events the previous release handled, under the keys it typed.
  const orderId = randomUUID();
  const created = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
  const updated = createEnvelope('ticket.updated', ticketUpdatedData(), randomUUID());
  const expired = createEnvelope('expiration.complete', { orderId }, randomUUID());
  const paid = createEnvelope(
    'payment.created',
    { id: randomUUID(), orderId, providerId: 'ch_old' },
    randomUUID(),
  );
  const handledBefore = [
    ['orders_ticket.created', created],
    ['orders_ticket.updated', updated],
    ['orders_expiration.complete', expired],
    ['orders_payment.created', paid],
  ] as const;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    old = await openDatabaseAsOf(environment.databaseUrl('orders'), migrations, {
      lastMigration: '0003_money_columns_in_cents',
      inbox: handledBefore.map(([oldKey, event]) => [oldKey, event.id] as const),
    });
    f = await createOrdersFixture({ environment });
    await f.startConsumers();
  });
  afterAll(async () => {
    await old?.destroy();
    await f?.close();
    await environment?.close();
  });

  it('when the new release starts, then each handled event is recorded under its durable consumer', async () => {
    for (const [, event] of handledBefore) {
      expect(await inboxConsumersOf(old, event.id)).toEqual([durableName('orders', event.type)]);
    }
  });

  it('when events handled before the upgrade are redelivered, then they are ignored', async () => {
    const bus = await environment.bus();
    for (const [, event] of handledBefore) await bus.publish(event);
    // Something new on every subject, handled after the redeliveries.
    const { order } = await f.placeOrder();
    await f.deliver('ticket.created', ticketCreatedData());
    await f.deliver('ticket.updated', ticketUpdatedData());
    await f.deliver('expiration.complete', { orderId: order.id });
    await f.deliver('payment.created', { id: randomUUID(), orderId: order.id, providerId: 'ch' });
    await waitFor(() => f.caughtUp(), { message: 'every consumer caught up' });

    // Handled again, each would have a second inbox row and be in the replica.
    for (const [, event] of handledBefore) {
      expect(await inboxConsumersOf(old, event.id)).toHaveLength(1);
    }
    const replicated = await f.db
      .selectFrom('tickets')
      .select('id')
      .where('id', 'in', [created.data.id, updated.data.id])
      .execute();
    expect(replicated).toEqual([]);
  });
});
