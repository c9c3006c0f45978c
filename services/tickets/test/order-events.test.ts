import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  type DeadLetterRecord,
  EventConsumers,
  type EventData,
  type EventEnvelope,
  type Subject,
} from '@gittix/common';
import { testLogger, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketsSubscriptions } from '../src/events/subscriptions.js';
import type { Ticket } from '../src/tickets.js';
import { createTicketsFixture, streamMessages, type TicketsFixture } from './fixture.js';

const MINUTE = 60_000;

function orderCreated(
  ticket: Ticket,
  overrides: { id?: string; expiresAt?: Date } = {},
): EventData<'order.created'> {
  return {
    id: overrides.id ?? randomUUID(),
    version: 0,
    status: 'created',
    userId: randomUUID(),
    expiresAt: (overrides.expiresAt ?? new Date(Date.now() + 15 * MINUTE)).toISOString(),
    ticket: { id: ticket.id, price: ticket.price },
  };
}

function orderCancelled(ticketId: string, orderId: string): EventData<'order.cancelled'> {
  return { id: orderId, version: 1, ticket: { id: ticketId } };
}

describe('order events the tickets service consumes', () => {
  let fx: TicketsFixture;
  let consumers: EventConsumers;

  beforeAll(async () => {
    fx = await createTicketsFixture();
    consumers = new EventConsumers({
      bus: fx.bus,
      service: 'tickets',
      subscriptions: ticketsSubscriptions(fx.db),
      logger: testLogger,
      maxDeliveries: 2,
    });
    await consumers.start();
  });
  afterAll(async () => {
    await consumers.stop();
    await fx.close();
  });

  async function publish<S extends Subject>(subject: S, data: EventData<S>) {
    const envelope = createEnvelope(subject, data, randomUUID());
    await fx.bus.publish(envelope);
    return envelope;
  }

  /** Publishes, then waits until the consumer has committed it: a chosen arrival order. */
  async function deliver<S extends Subject>(subject: S, data: EventData<S>) {
    const envelope = await publish(subject, data);
    await handled(envelope);
    return envelope;
  }

  async function handled(envelope: EventEnvelope) {
    await waitFor(
      async () => {
        const { rows } = await sql`SELECT 1 FROM inbox WHERE event_id = ${envelope.id}`.execute(
          fx.db,
        );
        return rows.length === 1;
      },
      { message: `${envelope.type} ${envelope.id} handled` },
    );
  }

  async function ticketState(id: string) {
    const response = await fx.app.inject({ method: 'GET', url: `/api/tickets/${id}` });
    return response.json() as Ticket;
  }

  async function updates(ticketId: string) {
    const events = await fx.publishedEvents('ticket.updated');
    return events.filter((e) => e.data.id === ticketId).map((e) => e.data);
  }

  async function consumersIdle() {
    await waitFor(
      async () => {
        for (const name of ['tickets_order_created', 'tickets_order_cancelled']) {
          const info = await fx.bus.jsm.consumers.info(fx.bus.stream, name);
          if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
        }
        return true;
      },
      { message: 'both consumers caught up' },
    );
  }

  it('when an order is created, then the ticket is reserved and ticket.updated says so at version 1', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller, { title: 'Jazz', price: 40 });
    const order = orderCreated(ticket);
    await deliver('order.created', order);
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: order.id, version: 1 });
    expect(await updates(ticket.id)).toEqual([
      { id: ticket.id, version: 1, title: 'Jazz', price: 40, userId: seller.id, orderId: order.id },
    ]);
  });

  it('when the order is then cancelled, then the ticket is free again at version 2', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await deliver('order.created', order);
    await deliver('order.cancelled', orderCancelled(ticket.id, order.id));
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: null, version: 2 });
    expect((await updates(ticket.id)).map((u) => [u.version, u.orderId])).toEqual([
      [1, order.id],
      [2, null],
    ]);
  });

  it('when the same event is delivered twice, then it is applied once', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const envelope = createEnvelope('order.created', orderCreated(ticket), randomUUID());
    // Different Nats-Msg-Ids get both copies past the broker's de-duplication.
    for (const msgID of [randomUUID(), randomUUID()]) {
      await fx.bus.js.publish(fx.bus.subjectOf('order.created'), JSON.stringify(envelope), {
        msgID,
      });
    }
    await handled(envelope);
    await consumersIdle();
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: envelope.data.id, version: 1 });
    expect(await updates(ticket.id)).toHaveLength(1);
  });

  it('when order.created arrives twice as two events, then the ticket changes once', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await deliver('order.created', order);
    await deliver('order.created', order);
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: order.id, version: 1 });
    expect(await updates(ticket.id)).toHaveLength(1);
  });

  it('when order.cancelled arrives before its order.created, then the ticket is never reserved', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await deliver('order.cancelled', orderCancelled(ticket.id, order.id));
    await deliver('order.created', order);
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: null, version: 0 });
    expect(await updates(ticket.id)).toEqual([]);
  });

  it('when a cancel names an order that does not hold the ticket, then nothing changes', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await deliver('order.created', order);
    await deliver('order.cancelled', orderCancelled(ticket.id, randomUUID()));
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: order.id, version: 1 });
    expect(await updates(ticket.id)).toHaveLength(1);
  });

  // A was created, then cancelled, then B ordered the same ticket: B must end up
  // holding it whatever order the three events arrive in, with one version per
  // effective change.
  it.each([
    ['created(A) cancelled(A) created(B)', ['cA', 'xA', 'cB'], [['A'], [null], ['B']]],
    ['created(A) created(B) cancelled(A)', ['cA', 'cB', 'xA'], [['A'], ['B']]],
    ['cancelled(A) created(A) created(B)', ['xA', 'cA', 'cB'], [['B']]],
    ['cancelled(A) created(B) created(A)', ['xA', 'cB', 'cA'], [['B']]],
    ['created(B) created(A) cancelled(A)', ['cB', 'cA', 'xA'], [['B']]],
    ['created(B) cancelled(A) created(A)', ['cB', 'xA', 'cA'], [['B']]],
  ] as const)(
    'when events arrive as %s, then B holds the ticket',
    async (_name, arrival, holders) => {
      const ticket = await fx.listTicket(await fx.user());
      const a = orderCreated(ticket, { expiresAt: new Date(Date.now() + 10 * MINUTE) });
      const b = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
      const ids = { A: a.id, B: b.id };
      for (const step of arrival) {
        if (step === 'cA') await deliver('order.created', a);
        if (step === 'cB') await deliver('order.created', b);
        if (step === 'xA') await deliver('order.cancelled', orderCancelled(ticket.id, a.id));
      }
      const expected = holders.map(([holder], i) => [i + 1, holder ? ids[holder] : null]);
      expect(await ticketState(ticket.id)).toMatchObject({
        orderId: b.id,
        version: holders.length,
      });
      expect((await updates(ticket.id)).map((u) => [u.version, u.orderId])).toEqual(expected);
    },
  );

  it('when a late created(A) arrives after created(B) and before cancelled(A), then B keeps the ticket', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const a = orderCreated(ticket, { expiresAt: new Date(Date.now() + 5 * MINUTE) });
    const b = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
    await deliver('order.created', b);
    await deliver('order.created', a);
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: b.id, version: 1 });
    await deliver('order.cancelled', orderCancelled(ticket.id, a.id));
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: b.id, version: 1 });
  });

  it('when a stale created(A) expires later than B (the period was shortened), then A is cancelled and B still ends up holding', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const a = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
    const b = orderCreated(ticket, { expiresAt: new Date(Date.now() + 1 * MINUTE) });
    await deliver('order.created', b);
    await deliver('order.created', a);
    await deliver('order.cancelled', orderCancelled(ticket.id, a.id));
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: b.id, version: 3 });
    expect((await updates(ticket.id)).map((u) => u.orderId)).toEqual([b.id, a.id, b.id]);
  });

  it('when created and cancelled of two orders are published at once, then the ticket converges to the live order', async () => {
    const tickets = await Promise.all(
      Array.from({ length: 5 }, async () => fx.listTicket(await fx.user())),
    );
    const lives = new Map<string, string>();
    await Promise.all(
      tickets.map(async (ticket) => {
        const a = orderCreated(ticket, { expiresAt: new Date(Date.now() + 10 * MINUTE) });
        const b = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
        lives.set(ticket.id, b.id);
        await Promise.all([
          publish('order.cancelled', orderCancelled(ticket.id, a.id)),
          publish('order.created', b),
          publish('order.created', a),
        ]);
      }),
    );
    await consumersIdle();
    for (const ticket of tickets) {
      expect(await ticketState(ticket.id)).toMatchObject({ orderId: lives.get(ticket.id) });
    }
  });

  it('when a reservation and a seller edit race, then both apply in some order and no version is lost', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const order = orderCreated(ticket);
    const [edit] = await Promise.all([
      fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: seller.headers,
        payload: { title: 'Edited', price: 12 },
      }),
      deliver('order.created', order),
    ]);
    const final = await ticketState(ticket.id);
    expect(final.orderId).toBe(order.id);
    if (edit.statusCode === 200) {
      expect(final).toMatchObject({ title: 'Edited', version: 2 });
    } else {
      expect(edit.json()).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
      expect(final).toMatchObject({ title: ticket.title, version: 1 });
    }
    expect((await updates(ticket.id)).map((u) => u.version)).toEqual(
      Array.from({ length: final.version }, (_, i) => i + 1),
    );
  });

  it('when order.created names an unknown ticket, then it is dead-lettered and later events still flow', async () => {
    const ghost = { ...(await fx.listTicket(await fx.user())), id: randomUUID() };
    const poison = await publish('order.created', orderCreated(ghost));
    const ticket = await fx.listTicket(await fx.user());
    const later = orderCreated(ticket);
    await deliver('order.created', later);
    expect(await ticketState(ticket.id)).toMatchObject({ orderId: later.id });

    const letters = await waitFor(
      async () => {
        const all = (await streamMessages(fx.bus, fx.bus.deadLetterStream)) as DeadLetterRecord[];
        const found = all.filter((l) => JSON.parse(l.payload).id === poison.id);
        return found.length === 1 && found;
      },
      { message: 'the poison event dead-lettered' },
    );
    expect(letters[0]).toMatchObject({
      consumer: 'tickets_order_created',
      deliveries: 2,
      error: expect.stringContaining(ghost.id),
    });
    const { rows } = await sql`SELECT 1 FROM inbox WHERE event_id = ${poison.id}`.execute(fx.db);
    expect(rows).toEqual([]);
  });
});
