import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, newUser, type OrdersFixture, publishedEvents } from './fixtures.js';

describe('orders API', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
  });
  afterAll(() => f?.close());

  async function order(ticketId: string, headers: Record<string, string>) {
    return f.app.inject({ method: 'POST', url: '/api/orders', headers, payload: { ticketId } });
  }

  async function placeOrder() {
    const ticket = await f.seedTicket();
    const buyer = await f.signIn();
    const response = await order(ticket.id, buyer.headers);
    expect(response.statusCode).toBe(201);
    return { ticket, buyer, order: response.json() };
  }

  describe('POST /api/orders', () => {
    it('when a signed-in buyer orders an available ticket, then 201 with the created order expiring in 15 minutes', async () => {
      const ticket = await f.seedTicket({ title: 'Opera night', price: 99.99 });
      const buyer = await f.signIn();
      const before = Date.now();
      const response = await order(ticket.id, buyer.headers);

      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        id: expect.any(String),
        userId: buyer.user.id,
        status: 'created',
        expiresAt: expect.any(String),
        version: 0,
        ticket: { id: ticket.id, title: 'Opera night', price: 99.99 },
      });
      const expiresIn = Date.parse(body.expiresAt) - before;
      expect(expiresIn).toBeGreaterThanOrEqual(900_000 - 1_000);
      expect(expiresIn).toBeLessThanOrEqual(900_000 + 5_000);
    });

    it('when an order is created, then order.created with its state is published', async () => {
      const { ticket, buyer, order: created } = await placeOrder();
      await f.relay.drain();
      const events = await publishedEvents(f.bus, 'order.created');
      const event = events.find((e) => e.data.id === created.id);
      expect(event?.data).toEqual({
        id: created.id,
        version: 0,
        status: 'created',
        userId: buyer.user.id,
        expiresAt: created.expiresAt,
        ticket: { id: ticket.id, price: ticket.price },
      });
    });

    it('when the session is a Bearer token, then it is accepted too', async () => {
      const ticket = await f.seedTicket();
      const buyer = await f.signIn();
      const response = await order(ticket.id, { authorization: `Bearer ${buyer.token}` });
      expect(response.statusCode).toBe(201);
    });

    it('when nobody is signed in, then 401', async () => {
      const ticket = await f.seedTicket();
      const response = await order(ticket.id, {});
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ errors: [{ message: expect.any(String) }] });
    });

    it('when the session token is forged, then 401', async () => {
      const ticket = await f.seedTicket();
      const buyer = await f.signIn();
      const forged = `${buyer.token.slice(0, -4)}AAAA`;
      const response = await order(ticket.id, { cookie: `session=${forged}` });
      expect(response.statusCode).toBe(401);
    });

    it('when ticketId is missing (or the whole body is), then 400 naming the ticketId field', async () => {
      const buyer = await f.signIn();
      const withEmptyObject = await f.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: buyer.headers,
        payload: {},
      });
      const withNoBody = await f.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: buyer.headers,
      });
      for (const response of [withEmptyObject, withNoBody]) {
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual({
          errors: [{ message: expect.any(String), field: 'ticketId' }],
        });
      }
    });

    it('when ticketId is not a uuid, then 400 naming the ticketId field', async () => {
      const buyer = await f.signIn();
      const response = await order('not-a-ticket', buyer.headers);
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ message: expect.any(String), field: 'ticketId' }]);
    });

    it('when the ticket is unknown, then 404', async () => {
      const buyer = await f.signIn();
      const response = await order(randomUUID(), buyer.headers);
      expect(response.statusCode).toBe(404);
      expect(response.json().errors).toHaveLength(1);
    });

    it('when the seller orders their own ticket, then 400 You cannot buy your own ticket', async () => {
      const seller = await f.signIn();
      const ticket = await f.seedTicket({ userId: seller.user.id });
      const response = await order(ticket.id, seller.headers);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'You cannot buy your own ticket' }] });
    });

    it('when the ticket is already reserved, then 400 Ticket is already reserved and no event', async () => {
      const { ticket } = await placeOrder();
      const other = await f.signIn();
      const response = await order(ticket.id, other.headers);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
      await f.relay.drain();
      const events = await publishedEvents(f.bus, 'order.created');
      expect(events.filter((e) => e.data.ticket.id === ticket.id)).toHaveLength(1);
    });

    it('when the order on a ticket is complete, then the ticket cannot be ordered again', async () => {
      const { ticket, order: paid } = await placeOrder();
      await f.db
        .updateTable('orders')
        .set({ status: 'complete' })
        .where('id', '=', paid.id)
        .execute();
      const response = await order(ticket.id, (await f.signIn()).headers);
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].message).toBe('Ticket is already reserved');
    });

    it('when 50 buyers race for one ticket, then exactly one gets it and 49 are told it is reserved', async () => {
      const ticket = await f.seedTicket();
      const buyers = await Promise.all(Array.from({ length: 50 }, () => f.signIn()));
      const responses = await Promise.all(buyers.map((b) => order(ticket.id, b.headers)));

      const statuses = responses.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(49);
      for (const r of responses.filter((r) => r.statusCode === 400)) {
        expect(r.json()).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
      }
      const rows = await f.db
        .selectFrom('orders')
        .select('status')
        .where('ticket_id', '=', ticket.id)
        .execute();
      expect(rows).toEqual([{ status: 'created' }]);
    });

    it('when an order is cancelled, then the ticket can be ordered again', async () => {
      const { ticket, buyer, order: first } = await placeOrder();
      const cancel = await f.app.inject({
        method: 'DELETE',
        url: `/api/orders/${first.id}`,
        headers: buyer.headers,
      });
      expect(cancel.statusCode).toBe(204);
      const again = await order(ticket.id, (await f.signIn()).headers);
      expect(again.statusCode).toBe(201);
      expect(again.json().id).not.toBe(first.id);
    });
  });

  describe('GET /api/orders', () => {
    it('when a buyer lists orders, then 200 with only their orders, newest first', async () => {
      const buyer = await f.signIn();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ticket = await f.seedTicket();
        ids.push((await order(ticket.id, buyer.headers)).json().id);
      }
      await placeOrder(); // someone else's

      const response = await f.app.inject({ url: '/api/orders', headers: buyer.headers });
      expect(response.statusCode).toBe(200);
      expect(response.json().map((o: { id: string }) => o.id)).toEqual(ids.reverse());
    });

    it('when a buyer has no orders, then 200 with an empty list', async () => {
      const response = await f.app.inject({
        url: '/api/orders',
        headers: (await f.signIn()).headers,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([]);
    });

    it('when nobody is signed in, then 401', async () => {
      const response = await f.app.inject({ url: '/api/orders' });
      expect(response.statusCode).toBe(401);
    });
  });

  describe('GET /api/orders/:id', () => {
    it('when the buyer asks for their order, then 200 with it', async () => {
      const { buyer, order: created } = await placeOrder();
      const response = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(created);
    });

    it("when the order is someone else's, then 404", async () => {
      const { order: created } = await placeOrder();
      const response = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: (await f.signIn()).headers,
      });
      expect(response.statusCode).toBe(404);
    });

    it('when the order is unknown or the id malformed, then 404', async () => {
      const buyer = await f.signIn();
      for (const id of [randomUUID(), 'not-an-id']) {
        const response = await f.app.inject({ url: `/api/orders/${id}`, headers: buyer.headers });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toEqual({ errors: [{ message: expect.any(String) }] });
      }
    });

    it('when nobody is signed in, then 401', async () => {
      const { order: created } = await placeOrder();
      const response = await f.app.inject({ url: `/api/orders/${created.id}` });
      expect(response.statusCode).toBe(401);
    });
  });

  describe('DELETE /api/orders/:id', () => {
    async function cancel(id: string, headers: Record<string, string>) {
      return f.app.inject({ method: 'DELETE', url: `/api/orders/${id}`, headers });
    }

    it('when the buyer cancels, then 204, the order is cancelled at version 1 and order.cancelled is published', async () => {
      const { ticket, buyer, order: created } = await placeOrder();
      const response = await cancel(created.id, buyer.headers);
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');

      const shown = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(shown.json()).toMatchObject({ status: 'cancelled', version: 1 });
      await f.relay.drain();
      const events = await publishedEvents(f.bus, 'order.cancelled');
      expect(events.filter((e) => e.data.id === created.id).map((e) => e.data)).toEqual([
        { id: created.id, version: 1, ticket: { id: ticket.id } },
      ]);
    });

    it('when the buyer cancels again, then 204 and nothing changes', async () => {
      const { buyer, order: created } = await placeOrder();
      expect((await cancel(created.id, buyer.headers)).statusCode).toBe(204);
      expect((await cancel(created.id, buyer.headers)).statusCode).toBe(204);

      const shown = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(shown.json()).toMatchObject({ status: 'cancelled', version: 1 });
      await f.relay.drain();
      const events = await publishedEvents(f.bus, 'order.cancelled');
      expect(events.filter((e) => e.data.id === created.id)).toHaveLength(1);
    });

    it('when the buyer cancels twice at once, then both get 204 and one order.cancelled is published', async () => {
      const { buyer, order: created } = await placeOrder();
      const responses = await Promise.all([
        cancel(created.id, buyer.headers),
        cancel(created.id, buyer.headers),
      ]);
      expect(responses.map((r) => r.statusCode)).toEqual([204, 204]);
      await f.relay.drain();
      const events = await publishedEvents(f.bus, 'order.cancelled');
      expect(events.filter((e) => e.data.id === created.id)).toHaveLength(1);
    });

    it('when the order is complete, then 400 Cannot cancel a completed order', async () => {
      const { buyer, order: created } = await placeOrder();
      await f.db
        .updateTable('orders')
        .set({ status: 'complete', version: 1 })
        .where('id', '=', created.id)
        .execute();
      const response = await cancel(created.id, buyer.headers);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'Cannot cancel a completed order' }] });
      const shown = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(shown.json().status).toBe('complete');
    });

    it("when the order is unknown, malformed or someone else's, then 404 and it stays as it was", async () => {
      const { buyer, order: created } = await placeOrder();
      const stranger = await f.signIn(newUser());
      expect((await cancel(created.id, stranger.headers)).statusCode).toBe(404);
      expect((await cancel(randomUUID(), buyer.headers)).statusCode).toBe(404);
      expect((await cancel('nope', buyer.headers)).statusCode).toBe(404);
      const shown = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(shown.json().status).toBe('created');
    });

    it('when nobody is signed in, then 401', async () => {
      const { order: created } = await placeOrder();
      expect((await cancel(created.id, {})).statusCode).toBe(401);
    });
  });

  describe('service endpoints', () => {
    it('when the database and NATS answer, then /readyz is 200 and /healthz is 200', async () => {
      expect((await f.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await f.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks).toEqual({ database: 'up', nats: 'up' });
    });

    it('when the OpenAPI document is asked for, then it lists the orders routes', async () => {
      const response = await f.app.inject({ url: '/api/orders/openapi.json' });
      expect(response.statusCode).toBe(200);
      expect(Object.keys(response.json().paths)).toEqual(
        expect.arrayContaining(['/api/orders', '/api/orders/{id}']),
      );
    });
  });
});
