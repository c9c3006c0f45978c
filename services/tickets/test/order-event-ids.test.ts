import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventInput, Subject } from '@gittix/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { orderCancelled, orderCompleted, orderCreated } from './order-events.js';

/**
 * Ids are UUIDs, which the event contract takes in either case (an operator's
 * `npm run events -- publish` may well carry upper case); Postgres reads them as the
 * same id, and so must every comparison in the handlers.
 */
describe('order events naming ids in upper case', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  /**
   * Publishes the event as written, past createEnvelope (which validates, and so makes
   * its ids lower case), and waits until tickets has handled it.
   */
  async function deliverAsWritten<S extends Subject>(subject: S, data: EventInput<S>) {
    const envelope = {
      id: randomUUID(),
      type: subject,
      occurredAt: new Date().toISOString(),
      data,
    } as EventEnvelope<S>;
    await (await fx.environment.bus()).publish(envelope);
    await fx.handled(envelope);
  }

  it('when order.cancelled names the holding order (and its ticket) in upper case, then the ticket is free again', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const orderId = randomUUID();
    await fx.deliver('order.created', orderCreated(ticket, { id: orderId }));
    expect((await fx.ticketState(ticket.id)).status).toBe('reserved');

    await deliverAsWritten(
      'order.cancelled',
      orderCancelled(ticket.id.toUpperCase(), orderId.toUpperCase()),
    );

    expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'available', orderId: null });
  });

  it('when order.created is delivered again with its id in upper case, then nothing changes', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const orderId = randomUUID();
    await fx.deliver('order.created', orderCreated(ticket, { id: orderId }));
    const reserved = await fx.ticketState(ticket.id);

    await deliverAsWritten('order.created', orderCreated(ticket, { id: orderId.toUpperCase() }));

    expect(await fx.ticketState(ticket.id)).toEqual(reserved);
  });

  it('when order.completed names the order in upper case, then the ticket is sold to it once', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const orderId = randomUUID();
    await fx.deliver('order.created', orderCreated(ticket, { id: orderId }));
    const completed = orderCompleted(ticket, orderId.toUpperCase());
    await deliverAsWritten('order.completed', completed);

    const sold = await fx.ticketState(ticket.id);
    expect(sold).toMatchObject({ status: 'sold', orderId, version: 2 });
  });
});
