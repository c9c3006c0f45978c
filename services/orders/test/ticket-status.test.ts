import { randomUUID } from 'node:crypto';
import type { EventInput, TicketStatus } from '@gittix/common';
import { paymentCreatedData, ticketUpdatedData } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../src/orders.js';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

/** Every ordering of `items`. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('ticket status in the orders service: replica, refusals, completion', () => {
  let f: OrdersFixture;
  beforeAll(async () => {
    f = await createOrdersFixture();
    await f.startConsumers();
  });
  afterAll(() => f?.close());

  const replicaOf = (id: string) =>
    f.db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  async function seedWith(state: { status: TicketStatus; eventStartsAt?: string | null }) {
    const ticket = ticketUpdatedData({ orderId: null, eventId: randomUUID(), ...state });
    await f.deliver('ticket.created', ticket);
    return ticket;
  }

  describe('replica convergence', () => {
    const base = ticketUpdatedData({
      eventId: randomUUID(),
      eventStartsAt: '2031-01-01T20:00:00.000Z',
    });
    const orderId = randomUUID();
    const history: Array<[string, EventInput<'ticket.created'> | EventInput<'ticket.updated'>]> = [
      ['ticket.created', { ...base, version: 0, status: 'available' }],
      ['ticket.updated', { ...base, version: 1, orderId, status: 'reserved' }],
      ['ticket.updated', { ...base, version: 2, orderId, status: 'sold' }],
    ];
    it.each(permutations([0, 1, 2]))(
      'when a ticket is listed, reserved and sold and the events arrive in order %j (each twice), then the replica ends sold to that order',
      async (...order) => {
        const id = randomUUID();
        for (const i of [...order, ...order]) {
          const [subject, data] = history[i]!;
          await f.deliver(subject as 'ticket.updated', {
            ...(data as EventInput<'ticket.updated'>),
            id,
          });
        }
        expect(await replicaOf(id)).toMatchObject({
          version: 2,
          status: 'sold',
          order_id: orderId,
          event_id: base.eventId,
          event_starts_at: new Date('2031-01-01T20:00:00.000Z'),
        });
      },
    );

    it.each(permutations([0, 1, 2]))(
      'when a ticket is listed, edited and withdrawn and the events arrive in order %j, then the replica ends withdrawn',
      async (...order) => {
        const id = randomUUID();
        const steps: Array<EventInput<'ticket.updated'>> = [
          { ...base, id, version: 0, status: 'available', orderId: null },
          { ...base, id, version: 1, status: 'available', orderId: null, title: 'Edited' },
          { ...base, id, version: 2, status: 'withdrawn', orderId: null, title: 'Edited' },
        ];
        for (const i of order) {
          await f.deliver(i === 0 ? 'ticket.created' : 'ticket.updated', steps[i]!);
        }
        expect(await replicaOf(id)).toMatchObject({
          version: 2,
          status: 'withdrawn',
          title: 'Edited',
        });
      },
    );

    it('when an older ticket.updated carries no status, then it is derived from orderId', async () => {
      const ticket = ticketUpdatedData({ orderId: randomUUID() });
      await f.deliver('ticket.updated', ticket);
      expect(await replicaOf(ticket.id)).toMatchObject({ status: 'reserved' });
    });
  });

  describe('POST /api/orders refusals', () => {
    it.each(['withdrawn', 'sold'] as const)(
      'when the ticket is %s, then it is 400 "Ticket is not for sale" and no order is made',
      async (status) => {
        const ticket = await seedWith({ status });
        const buyer = await f.signIn();
        const response = await f.orderTicket(ticket.id, buyer.headers);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual({ errors: [{ message: 'Ticket is not for sale' }] });
        const orders = await f.db
          .selectFrom('orders')
          .select('id')
          .where('ticket_id', '=', ticket.id)
          .execute();
        expect(orders).toEqual([]);
      },
    );

    it('when the ticket\'s event has started, then it is 400 "The event has started"', async () => {
      const ticket = await seedWith({
        status: 'available',
        eventStartsAt: new Date(Date.now() - 1000).toISOString(),
      });
      const buyer = await f.signIn();
      const response = await f.orderTicket(ticket.id, buyer.headers);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'The event has started' }] });
    });

    it('when the event is still ahead, then the order is made and order.created names the event', async () => {
      const startsAt = new Date(Date.now() + 86_400_000).toISOString();
      const ticket = await seedWith({ status: 'available', eventStartsAt: startsAt });
      const buyer = await f.signIn();
      const response = await f.orderTicket(ticket.id, buyer.headers);
      expect(response.statusCode).toBe(201);
      const order = response.json() as Order;
      const event = (await f.publishedEvents('order.created')).find((e) => e.data.id === order.id);
      expect(event?.data.ticket).toMatchObject({
        eventId: ticket.eventId,
        eventStartsAt: startsAt,
      });
    });
  });

  describe('ticket.refused and order.completed', () => {
    it('when tickets refuses an open order, then it is cancelled with reason refused, once', async () => {
      const { order, ticket, buyer } = await f.placeOrder();
      const refusal = { ticketId: ticket.id, orderId: order.id, reason: 'withdrawn' as const };
      await f.deliver('ticket.refused', refusal);
      await f.deliver('ticket.refused', refusal);
      const stored = await f.db
        .selectFrom('orders')
        .select('status')
        .where('id', '=', order.id)
        .executeTakeFirstOrThrow();
      expect(stored.status).toBe('cancelled');
      const cancels = (await f.publishedEvents('order.cancelled')).filter(
        (e) => e.data.id === order.id,
      );
      expect(cancels.map((e) => e.data)).toEqual([
        {
          id: order.id,
          version: 1,
          ticket: { id: ticket.id },
          userId: buyer.user.id,
          reason: 'refused',
        },
      ]);
    });

    it('when an order is paid, then order.completed carries the buyer, seller, payment and ticket', async () => {
      const { order, ticket, buyer } = await f.placeOrder();
      const payment = paymentCreatedData({ orderId: order.id });
      await f.deliver('payment.created', payment);
      const completed = (await f.publishedEvents('order.completed')).filter(
        (e) => e.data.id === order.id,
      );
      expect(completed.map((e) => e.data)).toEqual([
        {
          id: order.id,
          version: 1,
          userId: buyer.user.id,
          paymentId: payment.id,
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

    it('when a paid order is refused afterwards, then it stays complete and nothing is cancelled', async () => {
      const { order, ticket } = await f.placeOrder();
      await f.deliver('payment.created', paymentCreatedData({ orderId: order.id }));
      await f.deliver('ticket.refused', {
        ticketId: ticket.id,
        orderId: order.id,
        reason: 'withdrawn',
      });
      const stored = await f.db
        .selectFrom('orders')
        .select('status')
        .where('id', '=', order.id)
        .executeTakeFirstOrThrow();
      expect(stored.status).toBe('complete');
      const cancels = (await f.publishedEvents('order.cancelled')).filter(
        (e) => e.data.id === order.id,
      );
      expect(cancels).toEqual([]);
    });
  });
});
