import { randomUUID } from 'node:crypto';
import { createEnvelope, type DeadLetterRecord } from '@gittix/common';
import { streamMessages, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { orderCancelled, orderCreated } from './order-events.js';

describe('order.created and order.cancelled reserve and release tickets', () => {
  let fx: TicketsFixture;

  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers({ maxDeliveries: 2 });
  });
  afterAll(() => fx.close());

  it('when an order is created, then the ticket is reserved and ticket.updated says so at version 1', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller, { title: 'Jazz', price: 40 });
    const order = orderCreated(ticket);
    await fx.deliver('order.created', order);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: order.id, version: 1 });
    expect(await fx.updates(ticket.id)).toEqual([
      {
        id: ticket.id,
        version: 1,
        title: 'Jazz',
        price: 40,
        userId: seller.id,
        orderId: order.id,
        status: 'reserved',
        eventId: null,
        eventStartsAt: null,
      },
    ]);
  });

  it('when the order is then cancelled, then the ticket is free again at version 2', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await fx.deliver('order.created', order);
    await fx.deliver('order.cancelled', orderCancelled(ticket.id, order.id));
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: null, version: 2 });
    expect((await fx.updates(ticket.id)).map((u) => [u.version, u.orderId])).toEqual([
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
    await fx.handled(envelope);
    await fx.idle();
    expect(await fx.ticketState(ticket.id)).toMatchObject({
      orderId: envelope.data.id,
      version: 1,
    });
    expect(await fx.updates(ticket.id)).toHaveLength(1);
  });

  it('when order.created arrives twice as two events, then the ticket changes once', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await fx.deliver('order.created', order);
    await fx.deliver('order.created', order);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: order.id, version: 1 });
    expect(await fx.updates(ticket.id)).toHaveLength(1);
  });

  it('when order.cancelled arrives before its order.created, then the ticket is never reserved', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await fx.deliver('order.cancelled', orderCancelled(ticket.id, order.id));
    await fx.deliver('order.created', order);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: null, version: 0 });
    expect(await fx.updates(ticket.id)).toEqual([]);
  });

  it('when a cancel names an order that does not hold the ticket, then nothing changes', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket);
    await fx.deliver('order.created', order);
    await fx.deliver('order.cancelled', orderCancelled(ticket.id, randomUUID()));
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: order.id, version: 1 });
    expect(await fx.updates(ticket.id)).toHaveLength(1);
  });

  it('when a reservation and a seller edit race, then whichever lands first wins and no version is lost', async () => {
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
      fx.deliver('order.created', order),
    ]);
    const final = await fx.ticketState(ticket.id);
    if (edit.statusCode === 200) {
      // The edit first: the order was priced at the old price, so it is refused (the stale
      // price rule, docs/tickets.md): the refusal changes nothing here, so the ticket
      // stays on sale at the new price with the edit's version.
      expect(final).toMatchObject({ title: 'Edited', version: 1, orderId: null });
    } else {
      expect(final.orderId).toBe(order.id);
      expect(edit.json()).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
      expect(final).toMatchObject({ title: ticket.title, version: 1 });
    }
    expect((await fx.updates(ticket.id)).map((u) => u.version)).toEqual(
      Array.from({ length: final.version }, (_, i) => i + 1),
    );
  });

  it('when order.created names an unknown ticket, then it is dead-lettered and later events still flow', async () => {
    const ghost = { ...(await fx.listTicket(await fx.user())), id: randomUUID() };
    const poison = await fx.publish('order.created', orderCreated(ghost));
    const ticket = await fx.listTicket(await fx.user());
    const later = orderCreated(ticket);
    await fx.deliver('order.created', later);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: later.id });

    const letters = await waitFor(
      async () => {
        const all = await streamMessages<DeadLetterRecord>(fx.bus, {
          stream: fx.bus.deadLetterStream,
        });
        const found = all.map((l) => l.body).filter((l) => JSON.parse(l.payload).id === poison.id);
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
