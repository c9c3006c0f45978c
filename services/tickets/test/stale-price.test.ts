import { randomUUID } from 'node:crypto';
import {
  createTestEnvironment,
  startTestService,
  type TestEnvironment,
  type TestService,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The orders service: the rule spans both services, on one stream.
import { ordersService } from '../../orders/src/service.js';
import { ticketsService } from '../src/service.js';

/**
 * The stale-price rule (src/stale-price.ts): an order captures the listing's price
 * when it is placed, and the sale completes at that price or not at all.
 */
describe('a seller editing the price while a buyer orders', () => {
  let environment: TestEnvironment;
  let tickets: TestService<typeof ticketsService>;
  let orders: TestService<typeof ordersService>;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    tickets = await startTestService(ticketsService, { environment });
    orders = await startTestService(ordersService, { environment });
    await tickets.start();
  });
  afterAll(async () => {
    await orders?.close();
    await tickets?.close();
    await environment?.close();
  });

  const signIn = async () => {
    const session = await environment.signIn();
    return { id: session.user.id, headers: session.cookie };
  };
  type User = Awaited<ReturnType<typeof signIn>>;

  async function list(seller: User, price: number) {
    const response = await tickets.app.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: seller.headers,
      payload: { title: `Seat ${randomUUID().slice(0, 8)}`, price },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; title: string; price: number };
  }
  const edit = (seller: User, ticket: { id: string; title: string }, price: number) =>
    tickets.app.inject({
      method: 'PUT',
      url: `/api/tickets/${ticket.id}`,
      headers: seller.headers,
      payload: { title: ticket.title, price },
    });
  const order = (buyer: User, ticketId: string) =>
    orders.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: buyer.headers,
      payload: { ticketId },
    });
  const orderRow = (id: string) =>
    orders.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const ticketRow = (id: string) =>
    tickets.db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const replicaHas = (id: string, version: number) =>
    waitFor(
      async () =>
        (
          await orders.db
            .selectFrom('tickets')
            .select('version')
            .where('id', '=', id)
            .executeTakeFirst()
        )?.version === version,
      { message: `orders' replica at version ${version}` },
    );

  it("when the order was priced from a replica that had not seen the seller's edit, then tickets refuses it (changed) and the order is cancelled", async () => {
    const seller = await signIn();
    const listed = await list(seller, 40);
    // Orders learns of the listing, then stops consuming: its replica goes stale.
    await orders.start();
    await replicaHas(listed.id, 0);
    await orders.stop();
    const restarted = await startTestService(ordersService, { environment });
    try {
      expect((await edit(seller, listed, 55)).statusCode).toBe(200);
      const placed = await restarted.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: (await signIn()).headers,
        payload: { ticketId: listed.id },
      });
      expect(placed.statusCode).toBe(201);
      expect(placed.json().ticket.price).toBe(40);
      await restarted.relay.drain();

      const refused = await waitFor(
        async () =>
          (await environment.publishedEvents('ticket.refused')).find(
            (e) => e.data.orderId === placed.json().id,
          ),
        { message: 'ticket.refused for the stale order' },
      );
      expect(refused.data).toEqual({
        ticketId: listed.id,
        orderId: placed.json().id,
        reason: 'changed',
      });
      expect((await ticketRow(listed.id)).order_id).toBeNull();

      await restarted.startConsumers();
      await waitFor(
        async () =>
          (
            await restarted.db
              .selectFrom('orders')
              .select('status')
              .where('id', '=', placed.json().id)
              .executeTakeFirstOrThrow()
          ).status === 'cancelled',
        { message: 'stale order cancelled' },
      );
    } finally {
      await restarted.close();
    }
  });

  it('when 20 sellers edit their price while 20 buyers order the same tickets, then every order that holds a ticket holds it at the price it captured', async () => {
    orders = await startTestService(ordersService, { environment });
    await orders.start();
    const sellers = await Promise.all(Array.from({ length: 20 }, signIn));
    const listed = await Promise.all(sellers.map((seller) => list(seller, 30)));
    for (const ticket of listed) await replicaHas(ticket.id, 0);
    const buyers = await Promise.all(Array.from({ length: 20 }, signIn));

    const [ordered] = await Promise.all([
      Promise.all(listed.map((ticket, i) => order(buyers[i]!, ticket.id))),
      Promise.all(listed.map((ticket, i) => edit(sellers[i]!, ticket, 31 + i))),
    ]);
    // An edit either lands first (the order may still be priced from the old replica)
    // or is refused because the ticket is reserved: both races are in play.
    const placed = ordered
      .filter((r) => r.statusCode === 201)
      .map((r) => r.json() as { id: string; ticket: { id: string; price: number } });
    expect(placed.length).toBe(20);

    // Settled: every order is either holding its ticket or cancelled.
    const outcomes = await waitFor(
      async () => {
        const settled = await Promise.all(
          placed.map(async (p) => {
            const [row, ticket] = await Promise.all([orderRow(p.id), ticketRow(p.ticket.id)]);
            if (row.status === 'cancelled' && ticket.order_id !== p.id) return 'refused';
            if (row.status === 'created' && ticket.order_id === p.id) return 'held';
            return undefined;
          }),
        );
        return settled.every((s) => s !== undefined) ? settled : undefined;
      },
      { timeoutMs: 15_000, message: 'every order held or refused' },
    );
    for (const [i, p] of placed.entries()) {
      const ticket = await ticketRow(p.ticket.id);
      const row = await orderRow(p.id);
      if (outcomes[i] === 'held') {
        // The sale can only complete at the listing's price: the one the order captured.
        expect(row.ticket_price_cents).toBe(ticket.price_cents);
      } else {
        expect(row.ticket_price_cents).not.toBe(ticket.price_cents);
      }
    }
  });
});
