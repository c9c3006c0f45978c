import { randomUUID } from 'node:crypto';
import { durableName } from '@gittix/common';
import { createTestEnvironment, type TestEnvironment, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The orders service's own test fixture: this flow needs both services on one stream.
import { createOrdersFixture, type OrdersFixture } from '../../orders/test/fixtures.js';
import { createExpirationFixture, type ExpirationFixture, expirationsOf } from './fixtures.js';

describe('order expiry, end to end (orders + expiration on one stream)', () => {
  let environment: TestEnvironment;
  let orders: OrdersFixture;
  let expiration: ExpirationFixture;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    orders = await createOrdersFixture({ orderExpirationSeconds: 1, environment });
    await orders.start();
    expiration = await createExpirationFixture({ environment });
    await expiration.start();
  });
  afterAll(async () => {
    await expiration?.close();
    await orders?.close();
    await environment?.close();
  });

  const statusOf = async (orderId: string) =>
    (
      await orders.db
        .selectFrom('orders')
        .select('status')
        .where('id', '=', orderId)
        .executeTakeFirstOrThrow()
    ).status;

  it('when nobody pays, then the order is cancelled within a second of expiresAt and its ticket is free again', async () => {
    const { ticket, buyer, order } = await orders.placeOrder();
    const expiresAt = Date.parse(order.expiresAt);

    await waitFor(async () => (await statusOf(order.id)) === 'cancelled', {
      timeoutMs: 5_000,
      message: 'order cancelled by expiry',
    });
    const cancelledAt = Date.now();
    expect(cancelledAt - expiresAt).toBeLessThan(1_000);
    expect(cancelledAt).toBeGreaterThanOrEqual(expiresAt);

    const shown = await orders.app.inject({
      url: `/api/orders/${order.id}`,
      headers: buyer.headers,
    });
    expect(shown.json()).toMatchObject({ status: 'cancelled', version: 1 });
    const cancelled = await waitFor(
      async () => {
        const events = await environment.publishedEvents('order.cancelled');
        return events.find((e) => e.data.id === order.id);
      },
      { message: 'order.cancelled published' },
    );
    // The reason and the buyer are what notifications needs to send "Your hold has expired".
    expect(cancelled.data).toEqual({
      id: order.id,
      version: 1,
      ticket: { id: ticket.id },
      userId: order.userId,
      reason: 'expired',
    });

    const other = await orders.signIn();
    const again = await orders.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: other.headers,
      payload: { ticketId: ticket.id },
    });
    expect(again.statusCode).toBe(201);
  });

  it('when the buyer cancels, then the expiry never fires for that order', async () => {
    const { buyer, order } = await orders.placeOrder();
    const cancel = await orders.app.inject({
      method: 'DELETE',
      url: `/api/orders/${order.id}`,
      headers: buyer.headers,
    });
    expect(cancel.statusCode).toBe(204);
    const { order: later } = await orders.placeOrder();

    // The later order's expiry firing means the cancelled one's time has long passed.
    await waitFor(async () => (await expirationsOf(orders.bus, later.id)).length === 1, {
      timeoutMs: 5_000,
      message: "the later order's expiration",
    });
    expect(Date.now()).toBeGreaterThan(Date.parse(order.expiresAt));
    expect(await expirationsOf(orders.bus, order.id)).toEqual([]);
    expect(await statusOf(order.id)).toBe('cancelled');
  });

  it('when the order is paid before expiresAt, then it stays complete after its expiry fires', async () => {
    const { order } = await orders.placeOrder();
    await orders.publish('payment.created', {
      id: randomUUID(),
      orderId: order.id,
      providerId: 'ch_paid',
    });
    await waitFor(async () => (await statusOf(order.id)) === 'complete', {
      message: 'order complete',
    });
    await waitFor(async () => (await expirationsOf(orders.bus, order.id)).length === 1, {
      timeoutMs: 5_000,
      message: 'the expiry fired',
    });
    const consumer = durableName('orders', 'expiration.complete');
    await waitFor(
      async () => {
        const info = await orders.bus.jsm.consumers.info(orders.bus.stream, consumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { message: 'orders handled the expiry' },
    );
    expect(await statusOf(order.id)).toBe('complete');
  });
});
