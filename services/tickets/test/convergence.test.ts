import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { MINUTE, orderCancelled, orderCreated } from './order-events.js';

describe('order events converge whatever order they arrive in', () => {
  let fx: TicketsFixture;

  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers({ maxDeliveries: 2 });
  });
  afterAll(() => fx.close());

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
        if (step === 'cA') await fx.deliver('order.created', a);
        if (step === 'cB') await fx.deliver('order.created', b);
        if (step === 'xA') await fx.deliver('order.cancelled', orderCancelled(ticket.id, a.id));
      }
      const expected = holders.map(([holder], i) => [i + 1, holder ? ids[holder] : null]);
      expect(await fx.ticketState(ticket.id)).toMatchObject({
        orderId: b.id,
        version: holders.length,
      });
      expect((await fx.updates(ticket.id)).map((u) => [u.version, u.orderId])).toEqual(expected);
    },
  );

  it('when a late created(A) arrives after created(B) and before cancelled(A), then B keeps the ticket', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const a = orderCreated(ticket, { expiresAt: new Date(Date.now() + 5 * MINUTE) });
    const b = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
    await fx.deliver('order.created', b);
    await fx.deliver('order.created', a);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: b.id, version: 1 });
    await fx.deliver('order.cancelled', orderCancelled(ticket.id, a.id));
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: b.id, version: 1 });
  });

  it('when a stale created(A) expires later than B (the period was shortened), then A is cancelled and B still ends up holding', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const a = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
    const b = orderCreated(ticket, { expiresAt: new Date(Date.now() + 1 * MINUTE) });
    await fx.deliver('order.created', b);
    await fx.deliver('order.created', a);
    await fx.deliver('order.cancelled', orderCancelled(ticket.id, a.id));
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: b.id, version: 3 });
    expect((await fx.updates(ticket.id)).map((u) => u.orderId)).toEqual([b.id, a.id, b.id]);
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
          fx.publish('order.cancelled', orderCancelled(ticket.id, a.id)),
          fx.publish('order.created', b),
          fx.publish('order.created', a),
        ]);
      }),
    );
    await fx.idle();
    for (const ticket of tickets) {
      expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: lives.get(ticket.id) });
    }
  });
});
