import { randomUUID } from 'node:crypto';
import { createEnvelope, type EventInput, type Subject } from '@gittix/common';
import { testLogger, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('order lifecycle (expiration.complete, payment.created consumers)', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
    await f.startConsumers();
  });
  afterAll(() => f?.close());

  const orderRow = (id: string) =>
    f.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  /** Publishes a marker expiring an order of its own and waits until it is handled. */
  async function settleExpirations() {
    const { order } = await f.placeOrder();
    await f.publish('expiration.complete', { orderId: order.id });
    await waitFor(async () => (await orderRow(order.id)).status === 'cancelled', {
      message: 'expiration marker handled',
    });
  }

  async function cancelledEventsOf(orderId: string) {
    const events = await f.publishedEvents('order.cancelled');
    return events.filter((e) => e.data.id === orderId).map((e) => e.data);
  }

  describe('expiration.complete', () => {
    it('when an unpaid order expires, then it is cancelled at version 1 and order.cancelled is published', async () => {
      const { ticket, order } = await f.placeOrder();
      await f.publish('expiration.complete', { orderId: order.id });
      await waitFor(async () => (await orderRow(order.id)).status === 'cancelled', {
        message: 'order cancelled',
      });
      expect((await orderRow(order.id)).version).toBe(1);
      expect(await cancelledEventsOf(order.id)).toEqual([
        {
          id: order.id,
          version: 1,
          ticket: { id: ticket.id },
          userId: order.userId,
          reason: 'expired',
        },
      ]);
    });

    it('when a forced expiry names the order in upper case, then the order is cancelled all the same', async () => {
      const { ticket, order } = await f.placeOrder();
      await f.publish('expiration.complete', { orderId: order.id.toUpperCase() });
      await waitFor(async () => (await orderRow(order.id)).status === 'cancelled', {
        message: 'order cancelled',
      });
      expect(await cancelledEventsOf(order.id)).toEqual([
        {
          id: order.id,
          version: 1,
          ticket: { id: ticket.id },
          userId: order.userId,
          reason: 'expired',
        },
      ]);
    });

    it('when 40 orders fall due at once, then each is cancelled once and its order.cancelled names its own expiration.complete as cause', async () => {
      const placed = await Promise.all(Array.from({ length: 40 }, () => f.placeOrder()));
      const expirations = await Promise.all(
        placed.map(({ order }) => f.publish('expiration.complete', { orderId: order.id })),
      );
      await waitFor(
        async () => {
          const rows = await f.db
            .selectFrom('orders')
            .select('status')
            .where(
              'id',
              'in',
              placed.map(({ order }) => order.id),
            )
            .execute();
          return rows.every((row) => row.status === 'cancelled');
        },
        { timeoutMs: 20_000, message: 'all 40 orders cancelled' },
      );
      const cancelled = await f.publishedEvents('order.cancelled');
      for (const [i, { order, ticket }] of placed.entries()) {
        const mine = cancelled.filter((e) => e.data.id === order.id);
        expect(mine.map((e) => e.data)).toEqual([
          {
            id: order.id,
            version: 1,
            ticket: { id: ticket.id },
            userId: order.userId,
            reason: 'expired',
          },
        ]);
        expect(mine[0]!.causationId).toBe(expirations[i]!.id);
      }
    });

    it('when expiration.complete is delivered twice, then one order.cancelled is published', async () => {
      const { order } = await f.placeOrder();
      const first = await f.publish('expiration.complete', { orderId: order.id });
      // Same event id, second Nats-Msg-Id: a redelivery the broker cannot de-duplicate.
      await f.bus.js.publish(f.bus.subjectOf('expiration.complete'), JSON.stringify(first), {
        msgID: randomUUID(),
      });
      // A new event for the same order (e.g. a job retried past the duplicate window).
      await f.publish('expiration.complete', { orderId: order.id });
      await settleExpirations();
      expect((await orderRow(order.id)).version).toBe(1);
      expect(await cancelledEventsOf(order.id)).toHaveLength(1);
    });

    it('when a paid order expires, then it stays complete and nothing is published', async () => {
      const { order } = await f.placeOrder();
      await f.publish('payment.created', {
        id: randomUUID(),
        orderId: order.id,
        providerId: 'ch_1',
      });
      await waitFor(async () => (await orderRow(order.id)).status === 'complete', {
        message: 'order complete',
      });
      await f.publish('expiration.complete', { orderId: order.id });
      await settleExpirations();
      expect(await orderRow(order.id)).toMatchObject({ status: 'complete', version: 1 });
      expect(await cancelledEventsOf(order.id)).toEqual([]);
    });

    it('when an order the buyer cancelled expires, then nothing more happens', async () => {
      const { order } = await f.placeOrder();
      await f.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('orders')
          .set({ status: 'cancelled', version: 1 })
          .where('id', '=', order.id)
          .execute();
      });
      await f.publish('expiration.complete', { orderId: order.id });
      await settleExpirations();
      expect(await orderRow(order.id)).toMatchObject({ status: 'cancelled', version: 1 });
      expect(await cancelledEventsOf(order.id)).toEqual([]);
    });

    it('when an order expires, then its ticket can be ordered again', async () => {
      const { ticket, order } = await f.placeOrder();
      await f.publish('expiration.complete', { orderId: order.id });
      await waitFor(async () => (await orderRow(order.id)).status === 'cancelled', {
        message: 'order cancelled',
      });
      const buyer = await f.signIn();
      const again = await f.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: buyer.headers,
        payload: { ticketId: ticket.id },
      });
      expect(again.statusCode).toBe(201);
    });
  });

  describe('payment.created', () => {
    it('when an open order is paid, then it becomes complete at version 1 with the payment recorded and order.completed names seller and payment', async () => {
      const { order, ticket, buyer } = await f.placeOrder();
      const paymentId = randomUUID();
      await f.publish('payment.created', { id: paymentId, orderId: order.id, providerId: 'ch_2' });
      await waitFor(async () => (await orderRow(order.id)).status === 'complete', {
        message: 'order complete',
      });
      expect(await orderRow(order.id)).toMatchObject({ version: 1, payment_id: paymentId });
      const events = await f.publishedEvents('order.cancelled');
      expect(events.filter((e) => e.data.id === order.id)).toEqual([]);
      const completed = (await f.publishedEvents('order.completed')).filter(
        (e) => e.data.id === order.id,
      );
      expect(completed.map((e) => e.data)).toEqual([
        {
          id: order.id,
          version: 1,
          userId: buyer.user.id,
          paymentId,
          ticket: {
            id: ticket.id,
            price: ticket.price,
            userId: ticket.userId,
            title: ticket.title,
            eventId: null,
            eventStartsAt: null,
          },
        },
      ]);
    });

    it('when a payment arrives for an order that expired first, then it stays cancelled and keeps the payment id', async () => {
      const { order } = await f.placeOrder();
      await f.publish('expiration.complete', { orderId: order.id });
      await waitFor(async () => (await orderRow(order.id)).status === 'cancelled', {
        message: 'order cancelled',
      });
      const paymentId = randomUUID();
      await f.publish('payment.created', { id: paymentId, orderId: order.id, providerId: 'ch_3' });
      await waitFor(async () => (await orderRow(order.id)).payment_id === paymentId, {
        message: 'payment recorded',
      });
      expect(await orderRow(order.id)).toMatchObject({ status: 'cancelled', version: 1 });
      const completed = await f.publishedEvents('order.completed');
      expect(completed.filter((e) => e.data.id === order.id)).toEqual([]);
    });

    it('when a payment names an unknown order, then it is handled without creating anything or dead-lettering', async () => {
      const orderId = randomUUID();
      const event = await f.publish('payment.created', {
        id: randomUUID(),
        orderId,
        providerId: 'ch_4',
      });
      await waitFor(
        async () => {
          const { rows } = await sql`
            SELECT 1 FROM inbox WHERE event_id = ${event.id}`.execute(f.db);
          return rows.length === 1;
        },
        { message: 'payment event handled' },
      );
      expect(
        await f.db.selectFrom('orders').where('id', '=', orderId).select('id').execute(),
      ).toEqual([]);
      const dead = await f.bus.jsm.streams.info(f.bus.deadLetterStream);
      expect(dead.state.messages).toBe(0);
    });
  });

  describe('expiry racing payment', () => {
    function envelope<S extends Subject>(subject: S, data: EventInput<S>) {
      return createEnvelope(subject, data, randomUUID());
    }

    it('when expiration and payment are handled at the same time, then each order ends complete or cancelled, never both', async () => {
      // Handled straight through the service's subscriptions, as its consumers run them.
      const context = { deliveries: 1, logger: testLogger };
      const orders = await Promise.all(Array.from({ length: 30 }, () => f.placeOrder()));

      await Promise.all(
        orders.flatMap(({ order }, i) => {
          const handlers = [
            () => f.handle(envelope('expiration.complete', { orderId: order.id }), context),
            () =>
              f.handle(
                envelope('payment.created', {
                  id: randomUUID(),
                  orderId: order.id,
                  providerId: 'ch',
                }),
                context,
              ),
          ];
          // Alternate who starts first so both orders of arrival are exercised.
          return (i % 2 === 0 ? handlers : handlers.reverse()).map((run) => run());
        }),
      );

      const cancelledEvents = await f.publishedEvents('order.cancelled');
      const outcomes = new Set<string>();
      for (const { order } of orders) {
        const row = await orderRow(order.id);
        outcomes.add(row.status);
        expect(['complete', 'cancelled']).toContain(row.status);
        expect(row.version).toBe(1);
        expect(row.payment_id).not.toBeNull();
        const events = cancelledEvents.filter((e) => e.data.id === order.id);
        expect(events).toHaveLength(row.status === 'cancelled' ? 1 : 0);
      }
      // Alternating who starts first makes both winners show up: both paths were raced.
      expect([...outcomes].sort()).toEqual(['cancelled', 'complete']);
    });
  });
});
