import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('POST /api/orders', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
  });
  afterAll(() => f?.close());

  it('when a signed-in buyer orders an available ticket, then 201 with the created order expiring in 15 minutes', async () => {
    const ticket = await f.seedTicket({ title: 'Opera night', price: 99.99 });
    const buyer = await f.signIn();
    const before = Date.now();
    const response = await f.orderTicket(ticket.id, buyer.headers);

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
    const { ticket, buyer, order: created } = await f.placeOrder();
    const events = await f.publishedEvents('order.created');
    const event = events.find((e) => e.data.id === created.id);
    expect(event?.data).toEqual({
      id: created.id,
      version: 0,
      status: 'created',
      userId: buyer.user.id,
      expiresAt: created.expiresAt,
      ticket: {
        id: ticket.id,
        price: ticket.price,
        version: 0,
        userId: ticket.userId,
        title: ticket.title,
        eventId: null,
        eventStartsAt: null,
      },
    });
  });

  it('when the session is a Bearer token, then it is accepted too', async () => {
    const ticket = await f.seedTicket();
    const buyer = await f.signIn();
    const response = await f.orderTicket(ticket.id, { authorization: `Bearer ${buyer.token}` });
    expect(response.statusCode).toBe(201);
  });

  it('when nobody is signed in, then 401', async () => {
    const ticket = await f.seedTicket();
    const response = await f.orderTicket(ticket.id, {});
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ errors: [{ message: expect.any(String) }] });
  });

  it('when nobody is signed in and the body is invalid too, then still 401', async () => {
    const response = await f.orderTicket('not-a-ticket', {});
    expect(response.statusCode).toBe(401);
  });

  it('when the session token is forged, then 401', async () => {
    const ticket = await f.seedTicket();
    const buyer = await f.signIn();
    const forged = `${buyer.token.slice(0, -4)}AAAA`;
    const response = await f.orderTicket(ticket.id, { cookie: `session=${forged}` });
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
    const response = await f.orderTicket('not-a-ticket', buyer.headers);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ message: expect.any(String), field: 'ticketId' }]);
  });

  it('when the ticket is unknown, then 404 once the replica wait (REPLICA_WAIT_MS, 2 s) is over', async () => {
    const buyer = await f.signIn();
    const started = Date.now();
    const response = await f.orderTicket(randomUUID(), buyer.headers);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ errors: [{ message: 'Ticket not found' }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });

  it('when the seller orders their own ticket, then 400 You cannot buy your own ticket', async () => {
    const seller = await f.signIn();
    const ticket = await f.seedTicket({ userId: seller.user.id });
    const response = await f.orderTicket(ticket.id, seller.headers);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'You cannot buy your own ticket' }] });
  });

  it('when the ticket is already reserved, then 400 Ticket is already reserved and no event', async () => {
    const { ticket } = await f.placeOrder();
    const other = await f.signIn();
    const response = await f.orderTicket(ticket.id, other.headers);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
    const events = await f.publishedEvents('order.created');
    expect(events.filter((e) => e.data.ticket.id === ticket.id)).toHaveLength(1);
  });

  it('when the order on a ticket is complete, then the ticket cannot be ordered again', async () => {
    const { ticket, order: paid } = await f.placeOrder();
    await f.db
      .updateTable('orders')
      .set({ status: 'complete' })
      .where('id', '=', paid.id)
      .execute();
    const response = await f.orderTicket(ticket.id, (await f.signIn()).headers);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].message).toBe('Ticket is already reserved');
  });

  it('when 50 buyers race for one ticket, then exactly one gets it and 49 are told it is reserved', async () => {
    const ticket = await f.seedTicket();
    const buyers = await Promise.all(Array.from({ length: 50 }, () => f.signIn()));
    const responses = await Promise.all(buyers.map((b) => f.orderTicket(ticket.id, b.headers)));

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
    const { ticket, buyer, order: first } = await f.placeOrder();
    const cancel = await f.app.inject({
      method: 'DELETE',
      url: `/api/orders/${first.id}`,
      headers: buyer.headers,
    });
    expect(cancel.statusCode).toBe(204);
    const again = await f.orderTicket(ticket.id, (await f.signIn()).headers);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(first.id);
  });
});
