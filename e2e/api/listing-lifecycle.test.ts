import type { Order, Ticket } from '@gittix/api-types';
import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/client.js';
import { type E2eSystem, useSharedSystem } from '../harness/shared.js';

interface CatalogueEvent {
  id: string;
  name: string;
  availableTickets: number;
  minPrice: number | null;
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('events catalogue and listing lifecycle across the running services', () => {
  let system: E2eSystem;
  let seller: ApiClient;
  let buyers: ApiClient[];
  let buyerIds: string[];

  beforeAll(async () => {
    system = await useSharedSystem();
    seller = new ApiClient(system.baseUrl);
    await seller.signUp('seller');
    buyers = Array.from({ length: 10 }, () => new ApiClient(system.baseUrl));
    buyerIds = [];
    for (const buyer of buyers) buyerIds.push((await buyer.signUp('buyer')).id);
  }); // the e2e-shared project's hookTimeout: it may wait for the shared system's start
  afterAll(() => system?.stop());

  async function addEvent(name = `Show ${crypto.randomUUID().slice(0, 8)}`) {
    const created = await seller.post<CatalogueEvent>('/api/events', {
      name,
      venue: 'Olympia',
      city: 'Paris',
      startsAt: inDays(7),
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  async function listTicket(price: number, eventId?: string): Promise<Ticket> {
    const created = await seller.post<Ticket>('/api/tickets', { title: 'Seat', price, eventId });
    expect(created.status).toBe(201);
    return created.body;
  }

  /** Once the orders replica has the ticket, the seller's own order is refused as such. */
  async function replicated(ticketId: string) {
    await waitFor(async () => (await seller.post('/api/orders', { ticketId })).status === 400, {
      message: 'the ticket in the orders replica',
    });
  }

  async function counts(eventId: string) {
    const { body } = await seller.get<CatalogueEvent>(`/api/events/${eventId}`);
    return { availableTickets: body.availableTickets, minPrice: body.minPrice };
  }

  /** Waits until the event page shows `expected` (events move the figures asynchronously). */
  async function countsBecome(
    eventId: string,
    expected: { availableTickets: number; minPrice: number | null },
  ) {
    await waitFor(async () => JSON.stringify(await counts(eventId)) === JSON.stringify(expected), {
      message: `event counts ${JSON.stringify(expected)}`,
      timeoutMs: 15_000,
    });
    expect(await counts(eventId)).toEqual(expected);
  }

  it('when tickets of an event are listed, held, released, sold and withdrawn, then the event page counts each step', async () => {
    const event = await addEvent();
    const [buyer] = buyers as [ApiClient];
    const cheap = await listTicket(20, event.id);
    const dear = await listTicket(60, event.id);
    await countsBecome(event.id, { availableTickets: 2, minPrice: 20 });
    const found = await seller.get<CatalogueEvent[]>(
      `/api/events?q=${encodeURIComponent(event.name)}`,
    );
    expect(found.body.map((e) => e.id)).toEqual([event.id]);

    await replicated(cheap.id);
    const held = await buyer.post<Order>('/api/orders', { ticketId: cheap.id });
    expect(held.status).toBe(201);
    await countsBecome(event.id, { availableTickets: 1, minPrice: 60 });

    expect((await buyer.delete(`/api/orders/${held.body.id}`)).status).toBe(204);
    await countsBecome(event.id, { availableTickets: 2, minPrice: 20 });

    const bought = await waitFor(
      async () => {
        const r = await buyer.post<Order>('/api/orders', { ticketId: cheap.id });
        return r.status === 201 && r;
      },
      { message: 'the released ticket orderable again' },
    );
    const paid = await waitFor(
      async () => {
        const r = await buyer.post('/api/payments', { orderId: bought.body.id, token: 'tok_visa' });
        return r.status !== 404 && r;
      },
      { message: 'the order in the payments service' },
    );
    expect(paid.status).toBe(201);
    const sold = await buyer.eventually<Ticket>(
      `/api/tickets/${cheap.id}`,
      (r) => r.body.status === 'sold',
      'the ticket sold',
    );
    expect(sold.body.orderId).toBe(bought.body.id);
    await countsBecome(event.id, { availableTickets: 1, minPrice: 60 });
    expect((await seller.delete(`/api/tickets/${cheap.id}`)).body).toEqual({
      errors: [{ message: 'Cannot withdraw a sold ticket' }],
    });
    await waitFor(
      async () => {
        const again = await buyers[1]!.post<{ errors: unknown }>('/api/orders', {
          ticketId: cheap.id,
        });
        return (
          JSON.stringify(again.body) ===
          JSON.stringify({ errors: [{ message: 'Ticket is not for sale' }] })
        );
      },
      { message: 'a sold ticket refused as not for sale' },
    );

    expect((await seller.delete(`/api/tickets/${dear.id}`)).status).toBe(204);
    await countsBecome(event.id, { availableTickets: 0, minPrice: null });
    await waitFor(
      async () => {
        const late = await buyer.post<{ errors: unknown }>('/api/orders', { ticketId: dear.id });
        return (
          JSON.stringify(late.body) ===
          JSON.stringify({ errors: [{ message: 'Ticket is not for sale' }] })
        );
      },
      { message: 'a withdrawn ticket refused as not for sale' },
    );
  });

  it('when a withdraw races 50 parallel orders, then exactly one of them wins, every time', async () => {
    const outcomes = { withdrawn: 0, ordered: 0, acceptedThenRefused: 0 };
    for (let round = 0; round < 6; round++) {
      const ticket = await listTicket(30);
      await replicated(ticket.id);
      const attempts = buyers.flatMap((buyer) =>
        Array.from({ length: 5 }, () => buyer.post<Order>('/api/orders', { ticketId: ticket.id })),
      );
      // Round by round the withdraw goes a little later, so both sides get to win.
      const withdraw = new Promise<Awaited<ReturnType<ApiClient['delete']>>>((resolve) =>
        setTimeout(() => resolve(seller.delete(`/api/tickets/${ticket.id}`)), round * 3),
      );
      const [withdrawal, ...orders] = await Promise.all([withdraw, ...attempts]);
      const created = orders.filter((o) => o.status === 201).map((o) => o.body);
      for (const refused of orders.filter((o) => o.status !== 201)) {
        expect(refused.status).toBe(400);
      }

      if (withdrawal.status === 204) {
        outcomes.withdrawn++;
        outcomes.acceptedThenRefused += created.length;
        // An order the replica let through before it heard of the withdraw is refused by
        // tickets and cancelled; under load a second one can slip in once the first is
        // cancelled, and is refused the same way: none ever holds the ticket.
        for (const order of created) {
          const owner = buyers[buyerIds.indexOf(order.userId)]!;
          await owner.eventually<Order>(
            `/api/orders/${order.id}`,
            (r) => r.body.status === 'cancelled',
            'the refused order cancelled',
          );
        }
        const final = await seller.get<Ticket>(`/api/tickets/${ticket.id}`);
        expect(final.body).toMatchObject({ status: 'withdrawn', orderId: null });
      } else {
        outcomes.ordered++;
        expect(withdrawal.status).toBe(400);
        expect(created).toHaveLength(1);
        const final = await seller.eventually<Ticket>(
          `/api/tickets/${ticket.id}`,
          (r) => r.body.status === 'reserved',
          'the ticket reserved by the winning order',
        );
        expect(final.body.orderId).toBe(created[0]!.id);
        // Let the winner go, so no buyer nears MAX_OPEN_ORDERS_PER_USER in later rounds.
        const winner = buyers[buyerIds.indexOf(created[0]!.userId)]!;
        expect((await winner.delete(`/api/orders/${created[0]!.id}`)).status).toBe(204);
      }
    }
    console.info('withdraw vs 50 orders, winners:', outcomes);
    expect(outcomes.withdrawn + outcomes.ordered).toBe(6);
  });
});
