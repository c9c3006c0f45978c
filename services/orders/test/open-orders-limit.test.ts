import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOO_MANY_OPEN_ORDERS } from '../src/open-orders-limit.js';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('MAX_OPEN_ORDERS_PER_USER (default 5): no buyer hoards the inventory', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
  });
  afterAll(() => f?.close());

  const openOrdersOf = async (userId: string) =>
    f.db
      .selectFrom('orders')
      .select('id')
      .where('user_id', '=', userId)
      .where('status', '=', 'created')
      .execute();

  async function orderNewTickets(headers: Record<string, string>, count: number) {
    const tickets = await Promise.all(Array.from({ length: count }, () => f.seedTicket()));
    return Promise.all(tickets.map((t) => f.orderTicket(t.id, headers)));
  }

  it('when a buyer holding 5 unpaid orders orders a 6th ticket, then 429 in the error shape and nothing is written or published', async () => {
    const buyer = await f.signIn();
    for (const response of await orderNewTickets(buyer.headers, 5)) {
      expect(response.statusCode).toBe(201);
    }
    const sixth = await f.seedTicket();
    const response = await f.orderTicket(sixth.id, buyer.headers);
    expect(response.statusCode).toBe(429);
    expect(response.json()).toEqual({ errors: [{ message: TOO_MANY_OPEN_ORDERS }] });
    expect(await openOrdersOf(buyer.user.id)).toHaveLength(5);
    const events = await f.publishedEvents('order.created');
    expect(events.filter((e) => e.data.ticket.id === sixth.id)).toEqual([]);
    // The ticket stays free for everyone else.
    const other = await f.signIn();
    expect((await f.orderTicket(sixth.id, other.headers)).statusCode).toBe(201);
  });

  it('when one buyer sends 20 orders in parallel, then exactly 5 succeed and 15 are 429', async () => {
    const buyer = await f.signIn();
    const responses = await orderNewTickets(buyer.headers, 20);
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(await openOrdersOf(buyer.user.id)).toHaveLength(5);
  });

  it('when the buyer cancels one of 5 open orders, then they may order one more', async () => {
    const buyer = await f.signIn();
    const placed = await orderNewTickets(buyer.headers, 5);
    const cancel = await f.app.inject({
      method: 'DELETE',
      url: `/api/orders/${placed[0]!.json().id}`,
      headers: buyer.headers,
    });
    expect(cancel.statusCode).toBe(204);
    const [again] = await orderNewTickets(buyer.headers, 1);
    expect(again!.statusCode).toBe(201);
  });

  it('when an open order is past its expiresAt (waiting to be cancelled) or paid, then it does not count', async () => {
    const buyer = await f.signIn();
    const placed = await orderNewTickets(buyer.headers, 5);
    await f.db
      .updateTable('orders')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', placed[0]!.json().id)
      .execute();
    await f.db
      .updateTable('orders')
      .set({ status: 'complete' })
      .where('id', '=', placed[1]!.json().id)
      .execute();
    const more = await orderNewTickets(buyer.headers, 3);
    expect(more.map((r) => r.statusCode).sort()).toEqual([201, 201, 429]);
  });

  it('when one buyer is at the limit, then other buyers order as usual', async () => {
    const hoarder = await f.signIn();
    await orderNewTickets(hoarder.headers, 5);
    const other = await f.signIn();
    const [response] = await orderNewTickets(other.headers, 1);
    expect(response!.statusCode).toBe(201);
  });
});

describe('MAX_OPEN_ORDERS_PER_USER set', () => {
  it('when it is 1, then a second unpaid order is 429', async () => {
    const f = await createOrdersFixture({ env: { MAX_OPEN_ORDERS_PER_USER: '1' } });
    try {
      const buyer = await f.signIn();
      const [a, b] = [await f.seedTicket(), await f.seedTicket()];
      expect((await f.orderTicket(a.id, buyer.headers)).statusCode).toBe(201);
      expect((await f.orderTicket(b.id, buyer.headers)).statusCode).toBe(429);
    } finally {
      await f.close();
    }
  });
});
