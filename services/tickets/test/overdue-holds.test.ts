import { scrapeMetric } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { MINUTE, orderCancelled, orderCompleted, orderCreated } from './order-events.js';

/**
 * Tickets cannot tell a lost order.cancelled from a lost order.completed, so a
 * reservation whose order's end never arrived (dead-lettered, a stuck consumer) is
 * not repaired here: /metrics shows it, and GittixTicketHeldPastExpiry alerts on it.
 */
describe('reservations held past their order’s expiry', () => {
  let fx: TicketsFixture;
  const overdue = () => scrapeMetric(fx.app, 'gittix_tickets_overdue_hold_seconds');

  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  it('when a reserved ticket’s order.cancelled never arrives, then gittix_tickets_overdue_hold_seconds shows how late it is until the cancel comes', async () => {
    expect(await overdue()).toBe(0);
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket, { expiresAt: new Date(Date.now() - 20 * MINUTE) });
    await fx.deliver('order.created', order);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: order.id });

    expect(await overdue()).toBeGreaterThanOrEqual(20 * 60);
    await fx.deliver('order.cancelled', orderCancelled(ticket.id, order.id));
    expect(await overdue()).toBe(0);
  });

  it('when a held ticket is sold or its order is not due yet, then nothing is overdue', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const order = orderCreated(ticket, { expiresAt: new Date(Date.now() - 20 * MINUTE) });
    await fx.deliver('order.created', order);
    await fx.deliver('order.completed', orderCompleted(ticket, order.id));
    const open = await fx.listTicket(await fx.user());
    await fx.deliver('order.created', orderCreated(open));
    expect(await fx.ticketState(open.id)).toMatchObject({ status: 'reserved' });
    expect(await overdue()).toBe(0);
  });
});
