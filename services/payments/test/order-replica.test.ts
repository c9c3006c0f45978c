import { randomUUID } from 'node:crypto';
import { createEnvelope, handleBatchOnce } from '@gittix/common';
import { orderCancelledData, testLogger } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onOrderCancelled } from '../src/events/order-cancelled.js';
import {
  createPaymentsFixture,
  orderCreated,
  type PaymentsFixture,
  storedFor,
} from './fixtures.js';

describe('the order replica (order.created, order.cancelled)', () => {
  let fx: PaymentsFixture;

  beforeAll(async () => {
    fx = await createPaymentsFixture();
  });
  afterAll(() => fx?.close());

  it("when order.created arrives, then the replica holds the order with its price in cents, its seller, its ticket and its event's start", async () => {
    const userId = randomUUID();
    const sellerId = randomUUID();
    const startsAt = '2031-01-02T20:00:00.000Z';
    const ticketId = randomUUID();
    const data = orderCreated({
      userId,
      ticket: { id: ticketId, price: 19.99, userId: sellerId, eventStartsAt: startsAt },
    });
    await fx.deliver('order.created', data);
    const { order } = await storedFor(fx.db, data.id);
    expect(order).toEqual({
      id: data.id,
      user_id: userId,
      price_cents: 1999,
      status: 'created',
      expires_at: new Date(data.expiresAt),
      version: 0,
      seller_id: sellerId,
      event_starts_at: new Date(startsAt),
      ticket_id: ticketId,
    });
  });

  it('when order.created arrives twice, then there is still one unchanged row', async () => {
    const buyer = await fx.buyer();
    const data = orderCreated({ userId: buyer.id });
    await fx.deliver('order.created', data);
    // A republish after the broker's duplicate window carries a new event id.
    await fx.deliver('order.created', data);
    const rows = await fx.db.selectFrom('orders').selectAll().where('id', '=', data.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'created', version: 0, price_cents: 2550 });
    const paid = await fx.pay(buyer.headers, { orderId: data.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
  });

  it('when order.cancelled overtakes order.created, then the late created does not revive the order', async () => {
    const buyer = await fx.buyer();
    const data = orderCreated({ userId: buyer.id });
    await fx.deliver('order.cancelled', { id: data.id, version: 1, ticket: data.ticket });
    const before = await storedFor(fx.db, data.id);
    expect(before.order).toMatchObject({ status: 'cancelled', version: 1, user_id: null });

    await fx.deliver('order.created', data);
    const after = await storedFor(fx.db, data.id);
    expect(after.order).toEqual({
      id: data.id,
      user_id: buyer.id,
      price_cents: 2550,
      status: 'cancelled',
      expires_at: new Date(data.expiresAt),
      version: 1,
      seller_id: data.ticket.userId,
      event_starts_at: null,
      ticket_id: data.ticket.id,
    });
    const response = await fx.pay(buyer.headers, { orderId: data.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
  });

  it('when a stale order.created is redelivered after the cancel, then the order stays cancelled', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    await fx.cancelOrder(order);
    await fx.deliver('order.created', order);
    expect((await storedFor(fx.db, order.id)).order).toMatchObject({
      status: 'cancelled',
      version: 1,
    });
  });

  it('when order.cancelled arrives twice, then the order is cancelled once at its version', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    await fx.cancelOrder(order);
    await fx.cancelOrder(order);
    const rows = await fx.db.selectFrom('orders').selectAll().where('id', '=', order.id).execute();
    expect(rows).toEqual([expect.objectContaining({ status: 'cancelled', version: 1 })]);
  });

  it('when an order.cancelled is older than the row, then it changes nothing', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, { version: 3 });
    await fx.deliver('order.cancelled', { id: order.id, version: 2, ticket: order.ticket });
    expect((await storedFor(fx.db, order.id)).order).toMatchObject({
      status: 'created',
      version: 3,
    });
  });

  it('when one batch cancels a paid order, an unknown one, one twice and one older than the row, then each is applied as alone', async () => {
    const buyer = await fx.buyer();
    const paidOrder = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: paidOrder.id, token: 'tok_visa' })).json();
    const unknown = orderCreated({ userId: buyer.id });
    const newer = await fx.createOrder(buyer.id, { version: 3 });
    const cancel = (order: { id: string; ticket: { id: string } }, version = 1) =>
      createEnvelope('order.cancelled', orderCancelledData(order, version), randomUUID());
    const twice = cancel(paidOrder);
    await handleBatchOnce(
      fx.db,
      'payments_order_cancelled',
      onOrderCancelled,
    )([twice, cancel(unknown), twice, cancel(newer, 2)], { deliveries: 1, logger: testLogger });
    expect((await storedFor(fx.db, paidOrder.id)).order).toMatchObject({
      status: 'cancelled',
      version: 1,
    });
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'void',
    });
    expect((await storedFor(fx.db, unknown.id)).order).toMatchObject({
      status: 'cancelled',
      version: 1,
      user_id: null,
    });
    expect((await storedFor(fx.db, newer.id)).order).toMatchObject({
      status: 'created',
      version: 3,
    });
  });
});
