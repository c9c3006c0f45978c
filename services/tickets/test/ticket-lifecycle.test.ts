import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { orderCancelled, orderCompleted, orderCreated } from './order-events.js';

const DAY = 86_400_000;

describe('a listing for an event, and its lifecycle: available, reserved, sold, withdrawn', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  async function post(headers: Record<string, string>, payload: Record<string, unknown>) {
    return fx.app.inject({ method: 'POST', url: '/api/tickets', headers, payload });
  }
  async function withdraw(ticketId: string, headers: Record<string, string> = {}) {
    return fx.app.inject({ method: 'DELETE', url: `/api/tickets/${ticketId}`, headers });
  }
  async function refusals(ticketId: string) {
    const events = await fx.publishedEvents('ticket.refused');
    return events.filter((e) => e.data.ticketId === ticketId).map((e) => e.data);
  }

  describe('POST /api/tickets with eventId', () => {
    it('when the event exists, then the ticket carries its id and summary, and ticket.created its start', async () => {
      const seller = await fx.user();
      const event = await fx.addEvent(seller, { name: 'Nils Frahm', venue: 'Salle Pleyel' });
      const response = await post(seller.headers, { title: 'Row B', price: 55, eventId: event.id });
      expect(response.statusCode).toBe(201);
      const ticket = response.json();
      expect(ticket).toMatchObject({
        status: 'available',
        eventId: event.id,
        event: {
          id: event.id,
          name: 'Nils Frahm',
          venue: 'Salle Pleyel',
          city: event.city,
          startsAt: event.startsAt,
        },
      });
      expect(await fx.ticketState(ticket.id)).toEqual(ticket);
      const created = (await fx.publishedEvents('ticket.created')).find(
        (e) => e.data.id === ticket.id,
      );
      expect(created?.data).toMatchObject({ eventId: event.id, eventStartsAt: event.startsAt });
    });

    it.each([
      ['unknown', () => randomUUID(), 'Unknown event'],
      ['malformed', () => 'concert-42', 'eventId must be an event id'],
      ['a number', () => 42, expect.any(String)],
    ])(
      'when eventId is %s, then it is 400 on field eventId and nothing is stored',
      async (_, eventId, message) => {
        const seller = await fx.user();
        const title = `Orphan ${randomUUID()}`;
        const response = await post(seller.headers, { title, price: 10, eventId: eventId() });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual({ errors: [{ field: 'eventId', message }] });
        const stored = await fx.db
          .selectFrom('tickets')
          .select('id')
          .where('title', '=', title)
          .execute();
        expect(stored).toEqual([]);
      },
    );

    it('when the event has started, then it is 400 "The event has started" on eventId', async () => {
      const seller = await fx.user();
      const event = await fx.addEvent(seller);
      await fx.moveEvent(event.id, new Date(Date.now() - 1000));
      const response = await post(seller.headers, { title: 'Late', price: 10, eventId: event.id });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        errors: [{ field: 'eventId', message: 'The event has started' }],
      });
    });

    it('when eventId is null, then the ticket is listed without an event', async () => {
      const seller = await fx.user();
      const response = await post(seller.headers, { title: 'Loose', price: 10, eventId: null });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ eventId: null, event: null });
    });
  });

  describe('DELETE /api/tickets/:id', () => {
    it('when the seller withdraws an available ticket, then it is 204, withdrawn, announced once, and again 204 with no change', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      expect((await withdraw(ticket.id, seller.headers)).statusCode).toBe(204);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'withdrawn', version: 1 });
      expect((await withdraw(ticket.id, seller.headers)).statusCode).toBe(204);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'withdrawn', version: 1 });
      expect(await fx.updates(ticket.id)).toEqual([
        expect.objectContaining({ version: 1, status: 'withdrawn', orderId: null }),
      ]);
    });

    it('when someone else, nobody, or an unknown id is asked, then it is 403, 401, 404 and nothing changes', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const other = await fx.user();
      const forbidden = await withdraw(ticket.id, other.headers);
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toEqual({
        errors: [{ message: 'Only the seller can withdraw a ticket' }],
      });
      expect((await withdraw(ticket.id)).statusCode).toBe(401);
      expect((await withdraw(randomUUID(), seller.headers)).statusCode).toBe(404);
      expect((await withdraw('nope', seller.headers)).statusCode).toBe(404);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'available', version: 0 });
    });

    it('when the ticket is reserved or sold, then it is 400 saying which, and it stays as it was', async () => {
      const seller = await fx.user();
      const held = await fx.listTicket(seller);
      await fx.deliver('order.created', orderCreated(held));
      const reserved = await withdraw(held.id, seller.headers);
      expect(reserved.statusCode).toBe(400);
      expect(reserved.json()).toEqual({
        errors: [{ message: 'Cannot withdraw a reserved ticket' }],
      });

      const bought = await fx.listTicket(seller);
      const order = orderCreated(bought);
      await fx.deliver('order.created', order);
      await fx.deliver('order.completed', orderCompleted(bought, order.id));
      const sold = await withdraw(bought.id, seller.headers);
      expect(sold.statusCode).toBe(400);
      expect(sold.json()).toEqual({ errors: [{ message: 'Cannot withdraw a sold ticket' }] });
      expect(await fx.ticketState(bought.id)).toMatchObject({ status: 'sold', orderId: order.id });
    });

    it('when a ticket is withdrawn, then public lists leave it out and its seller still sees it', async () => {
      const seller = await fx.user();
      const tag = randomUUID().slice(0, 8);
      const kept = await fx.listTicket(seller, { title: `keep ${tag}` });
      const gone = await fx.listTicket(seller, { title: `gone ${tag}` });
      await withdraw(gone.id, seller.headers);
      const everyone = await fx.app.inject({ method: 'GET', url: `/api/tickets?q=${tag}` });
      expect(everyone.json().map((t: { id: string }) => t.id)).toEqual([kept.id]);
      const mine = await fx.app.inject({ method: 'GET', url: `/api/tickets?userId=${seller.id}` });
      expect(mine.json().map((t: { id: string }) => t.id)).toEqual([gone.id, kept.id]);
    });

    it('when a withdraw and a reservation race, then exactly one wins', async () => {
      for (let round = 0; round < 10; round++) {
        const seller = await fx.user();
        const ticket = await fx.listTicket(seller);
        const order = orderCreated(ticket);
        const [response] = await Promise.all([
          withdraw(ticket.id, seller.headers),
          fx.deliver('order.created', order),
        ]);
        const state = await fx.ticketState(ticket.id);
        if (response.statusCode === 204) {
          expect(state).toMatchObject({ status: 'withdrawn', orderId: null });
          expect(await refusals(ticket.id)).toEqual([
            { ticketId: ticket.id, orderId: order.id, reason: 'withdrawn' },
          ]);
        } else {
          expect(response.json()).toEqual({
            errors: [{ message: 'Cannot withdraw a reserved ticket' }],
          });
          expect(state).toMatchObject({ status: 'reserved', orderId: order.id });
          expect(await refusals(ticket.id)).toEqual([]);
        }
      }
    });
  });

  describe('order events on a withdrawn, sold or started ticket', () => {
    it('when an order arrives for a withdrawn ticket, then ticket.refused says withdrawn and the ticket is unchanged', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      await withdraw(ticket.id, seller.headers);
      const order = orderCreated(ticket);
      await fx.deliver('order.created', order);
      expect(await refusals(ticket.id)).toEqual([
        { ticketId: ticket.id, orderId: order.id, reason: 'withdrawn' },
      ]);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'withdrawn', version: 1 });
      // The refused order's cancel, when orders sends it, changes nothing either.
      await fx.deliver('order.cancelled', orderCancelled(ticket.id, order.id));
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'withdrawn', version: 1 });
    });

    it('when an order arrives after its event started, then ticket.refused says event_started', async () => {
      const seller = await fx.user();
      const event = await fx.addEvent(seller);
      const ticket = await fx.listTicket(seller, { eventId: event.id });
      await fx.moveEvent(event.id, new Date(Date.now() - DAY));
      const order = orderCreated(ticket);
      await fx.deliver('order.created', order);
      expect(await refusals(ticket.id)).toEqual([
        { ticketId: ticket.id, orderId: order.id, reason: 'event_started' },
      ]);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'available', orderId: null });
    });

    it('when a second order arrives for a sold ticket, then it is refused as sold', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const first = orderCreated(ticket);
      await fx.deliver('order.created', first);
      await fx.deliver('order.completed', orderCompleted(ticket, first.id));
      const second = orderCreated(ticket);
      await fx.deliver('order.created', second);
      expect(await refusals(ticket.id)).toEqual([
        { ticketId: ticket.id, orderId: second.id, reason: 'sold' },
      ]);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'sold', orderId: first.id });
    });

    it('when an order completes, then the ticket is sold to it (ticket.updated status sold) and can no longer be edited', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const order = orderCreated(ticket);
      await fx.deliver('order.created', order);
      await fx.deliver('order.completed', orderCompleted(ticket, order.id));
      expect(await fx.ticketState(ticket.id)).toMatchObject({
        status: 'sold',
        orderId: order.id,
        version: 2,
      });
      expect((await fx.updates(ticket.id)).map((u) => [u.version, u.status])).toEqual([
        [1, 'reserved'],
        [2, 'sold'],
      ]);
      const edit = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: seller.headers,
        payload: { title: 'Resold', price: 1 },
      });
      expect(edit.statusCode).toBe(400);
      expect(edit.json()).toEqual({ errors: [{ message: 'Cannot edit a sold ticket' }] });
    });

    it('when order.completed overtakes its order.created, then the ticket ends sold to that order either way', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const order = orderCreated(ticket);
      await fx.deliver('order.completed', orderCompleted(ticket, order.id));
      await fx.deliver('order.created', order);
      expect(await fx.ticketState(ticket.id)).toMatchObject({
        status: 'sold',
        orderId: order.id,
        version: 1,
      });
      expect(await refusals(ticket.id)).toEqual([]);
    });

    it('when order.completed is delivered twice, then the ticket changes once', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const order = orderCreated(ticket);
      await fx.deliver('order.created', order);
      const completed = orderCompleted(ticket, order.id);
      await fx.deliver('order.completed', completed);
      // A fresh envelope, so the inbox does not absorb it: the handler itself must.
      await fx.deliver('order.completed', completed);
      expect(await fx.ticketState(ticket.id)).toMatchObject({ status: 'sold', version: 2 });
    });
  });
});
