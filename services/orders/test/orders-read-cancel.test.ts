import { randomUUID } from 'node:crypto';
import { testUser } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('reading and cancelling orders', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
  });
  afterAll(() => f?.close());

  describe('GET /api/orders', () => {
    it('when a buyer lists orders, then 200 with only their orders, newest first', async () => {
      const buyer = await f.signIn();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ticket = await f.seedTicket();
        ids.push((await f.orderTicket(ticket.id, buyer.headers)).json().id);
      }
      await f.placeOrder(); // someone else's

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
      const { buyer, order: created } = await f.placeOrder();
      const response = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(created);
    });

    it("when the order is someone else's, then 404", async () => {
      const { order: created } = await f.placeOrder();
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
      const { order: created } = await f.placeOrder();
      const response = await f.app.inject({ url: `/api/orders/${created.id}` });
      expect(response.statusCode).toBe(401);
    });
  });

  describe('DELETE /api/orders/:id', () => {
    async function cancel(id: string, headers: Record<string, string>) {
      return f.app.inject({ method: 'DELETE', url: `/api/orders/${id}`, headers });
    }

    it('when the buyer cancels, then 204, the order is cancelled at version 1 and order.cancelled is published', async () => {
      const { ticket, buyer, order: created } = await f.placeOrder();
      const response = await cancel(created.id, buyer.headers);
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');

      const shown = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(shown.json()).toMatchObject({ status: 'cancelled', version: 1 });
      const events = await f.publishedEvents('order.cancelled');
      expect(events.filter((e) => e.data.id === created.id).map((e) => e.data)).toEqual([
        {
          id: created.id,
          version: 1,
          ticket: { id: ticket.id },
          userId: created.userId,
          reason: 'cancelled',
        },
      ]);
    });

    it('when the buyer cancels again, then 204 and nothing changes', async () => {
      const { buyer, order: created } = await f.placeOrder();
      expect((await cancel(created.id, buyer.headers)).statusCode).toBe(204);
      expect((await cancel(created.id, buyer.headers)).statusCode).toBe(204);

      const shown = await f.app.inject({
        url: `/api/orders/${created.id}`,
        headers: buyer.headers,
      });
      expect(shown.json()).toMatchObject({ status: 'cancelled', version: 1 });
      const events = await f.publishedEvents('order.cancelled');
      expect(events.filter((e) => e.data.id === created.id)).toHaveLength(1);
    });

    it('when the buyer cancels twice at once, then both get 204 and one order.cancelled is published', async () => {
      const { buyer, order: created } = await f.placeOrder();
      const responses = await Promise.all([
        cancel(created.id, buyer.headers),
        cancel(created.id, buyer.headers),
      ]);
      expect(responses.map((r) => r.statusCode)).toEqual([204, 204]);
      const events = await f.publishedEvents('order.cancelled');
      expect(events.filter((e) => e.data.id === created.id)).toHaveLength(1);
    });

    it('when the order is complete, then 400 Cannot cancel a completed order', async () => {
      const { buyer, order: created } = await f.placeOrder();
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
      const { buyer, order: created } = await f.placeOrder();
      const stranger = await f.signIn(testUser('buyer'));
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
      const { order: created } = await f.placeOrder();
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
