import { randomUUID } from 'node:crypto';
import { createEnvelope, durableName } from '@gittix/common';
import {
  createTestEnvironment,
  inboxConsumersOf,
  openDatabaseAsOf,
  orderCancelledData,
  orderCreatedData,
  startTestService,
  type TestEnvironment,
  type TestService,
  waitFor,
} from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations.js';
import { paymentsService } from '../src/service.js';

describe('upgrading a payments database whose inbox keys were typed by hand', () => {
  let environment: TestEnvironment;
  let old: Kysely<unknown>;
  let payments: TestService<typeof paymentsService>;
  // Events the previous release handled, under the keys it typed.
  const created = createEnvelope('order.created', orderCreatedData(), randomUUID());
  const cancelled = createEnvelope(
    'order.cancelled',
    orderCancelledData(orderCreatedData()),
    randomUUID(),
  );
  const handledBefore = [
    ['payments_order.created', created],
    ['payments_order.cancelled', cancelled],
  ] as const;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    old = await openDatabaseAsOf(environment.databaseUrl('payments'), migrations, {
      lastMigration: '0002_payments',
      inbox: handledBefore.map(([oldKey, event]) => [oldKey, event.id] as const),
    });
    payments = await startTestService(paymentsService, { environment });
    await payments.startConsumers();
  });
  afterAll(async () => {
    await old?.destroy();
    await payments?.close();
    await environment?.close();
  });

  it('when the new release starts, then each handled event is recorded under its durable consumer', async () => {
    for (const [, event] of handledBefore) {
      expect(await inboxConsumersOf(old, event.id)).toEqual([durableName('payments', event.type)]);
    }
  });

  it('when events handled before the upgrade are redelivered, then they are ignored', async () => {
    const bus = await environment.bus();
    for (const [, event] of handledBefore) await bus.publish(event);
    // Something new on both subjects, handled after the redeliveries.
    const order = orderCreatedData();
    await payments.deliver('order.created', order);
    await payments.deliver('order.cancelled', orderCancelledData(order));
    await waitFor(() => payments.caughtUp(), { message: 'both consumers caught up' });

    // Handled again, each would have a second inbox row and a row in the replica.
    for (const [, event] of handledBefore) {
      expect(await inboxConsumersOf(old, event.id)).toHaveLength(1);
    }
    const replicated = await payments.db
      .selectFrom('orders')
      .select('id')
      .where('id', 'in', [created.data.id, cancelled.data.id])
      .execute();
    expect(replicated).toEqual([]);
  });
});
