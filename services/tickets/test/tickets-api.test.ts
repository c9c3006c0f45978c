import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

describe('tickets API', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
  });
  afterAll(() => fx.close());

  describe('POST /api/tickets', () => {
    it('when a signed-in seller lists a ticket, then it is 201 with version 0 and no order', async () => {
      const seller = await fx.user();
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/tickets',
        headers: seller.headers,
        payload: { title: '  Radiohead, row 3  ', price: 120.5 },
      });
      expect(response.statusCode).toBe(201);
      const ticket = response.json();
      expect(ticket).toEqual({
        id: expect.any(String),
        title: 'Radiohead, row 3',
        price: 120.5,
        userId: seller.id,
        version: 0,
        orderId: null,
        status: 'available',
        eventId: null,
        event: null,
        hasFile: false,
      });
      const stored = await fx.db
        .selectFrom('tickets')
        .select('price_cents')
        .where('id', '=', ticket.id)
        .executeTakeFirstOrThrow();
      expect(stored.price_cents).toBe(12050);
    });

    it('when nobody is signed in, then it is 401 and nothing is stored', async () => {
      const title = `anonymous ${randomUUID()}`;
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/tickets',
        payload: { title, price: 10 },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ errors: [{ message: expect.any(String) }] });
      const stored = await fx.db
        .selectFrom('tickets')
        .select('id')
        .where('title', '=', title)
        .execute();
      expect(stored).toEqual([]);
    });

    it('when the session token is forged, then it is 401', async () => {
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/tickets',
        headers: { authorization: 'Bearer not.a.jwt' },
        payload: { title: 'x', price: 10 },
      });
      expect(response.statusCode).toBe(401);
    });

    it('when both title and price are missing, then it is 400 naming both fields', async () => {
      const seller = await fx.user();
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/tickets',
        headers: seller.headers,
        payload: {},
      });
      expect(response.statusCode).toBe(400);
      const fields = response.json().errors.map((e: { field: string }) => e.field);
      expect(fields.sort()).toEqual(['price', 'title']);
    });

    it.each([
      ['blank', '   ', /blank/],
      ['only zero-width characters', '\u200b\u200d\ufeff\u00ad', /blank/],
      ['holding half a character (a lone surrogate)', 'Row A \ud83c', /broken character/],
      ['over 120 characters', 'x'.repeat(121), /120/],
      ['not a string', 42, /string/],
    ])('when the title is %s, then it is 400 on title', async (_case, title, message) => {
      const seller = await fx.user();
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/tickets',
        headers: seller.headers,
        payload: { title, price: 10 },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([
        { field: 'title', message: expect.stringMatching(message) },
      ]);
    });

    it('when the title is exactly 120 characters after trimming, then it is accepted', async () => {
      const seller = await fx.user();
      const title = 'y'.repeat(120);
      const ticket = await fx.listTicket(seller, { title: `  ${title}  ` });
      expect(ticket.title).toBe(title);
    });

    it.each([
      ['zero', 0],
      ['negative', -5],
      ['over a million', 1_000_000.01],
      ['with 3 decimals', 10.005],
      ['a string', '10'],
    ])('when the price is %s, then it is 400 on price', async (_case, price) => {
      const seller = await fx.user();
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/tickets',
        headers: seller.headers,
        payload: { title: 'Good title', price },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'price', message: expect.any(String) }]);
    });

    it.each([
      [0.01, 1],
      [19.99, 1999],
      [1_000_000, 100_000_000],
    ])(
      'when the price is %d, then it is stored as %d cents and read back exactly',
      async (price, cents) => {
        const seller = await fx.user();
        const ticket = await fx.listTicket(seller, { price });
        expect(ticket.price).toBe(price);
        const stored = await fx.db
          .selectFrom('tickets')
          .select('price_cents')
          .where('id', '=', ticket.id)
          .executeTakeFirstOrThrow();
        expect(stored.price_cents).toBe(cents);
      },
    );
  });

  describe('GET /api/tickets/:id', () => {
    it('when the ticket exists, then anyone gets it', async () => {
      const ticket = await fx.listTicket(await fx.user(), { price: 42.1 });
      const response = await fx.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(ticket);
    });

    it.each([
      ['unknown', randomUUID()],
      ['malformed', 'not-a-uuid'],
    ])('when the id is %s, then it is 404', async (_case, id) => {
      const response = await fx.app.inject({ method: 'GET', url: `/api/tickets/${id}` });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ errors: [{ message: expect.any(String) }] });
    });
  });

  describe('PUT /api/tickets/:id', () => {
    it('when the seller edits the ticket, then it is 200 with the new values and version + 1', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: seller.headers,
        payload: { title: ' New title ', price: 99.99 },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ ...ticket, title: 'New title', price: 99.99, version: 1 });
      const read = await fx.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}` });
      expect(read.json()).toMatchObject({ title: 'New title', price: 99.99, version: 1 });
    });

    it('when nobody is signed in, then it is 401', async () => {
      const ticket = await fx.listTicket(await fx.user());
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        payload: { title: 'Hijack', price: 1 },
      });
      expect(response.statusCode).toBe(401);
    });

    it.each([
      ['unknown', randomUUID()],
      ['malformed', '12345'],
    ])('when the ticket id is %s, then it is 404', async (_case, id) => {
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${id}`,
        headers: (await fx.user()).headers,
        payload: { title: 'Anything', price: 1 },
      });
      expect(response.statusCode).toBe(404);
    });

    it('when someone other than the seller edits, then it is 403 and the ticket is unchanged', async () => {
      const ticket = await fx.listTicket(await fx.user());
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: (await fx.user()).headers,
        payload: { title: 'Hijack', price: 1 },
      });
      expect(response.statusCode).toBe(403);
      const read = await fx.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}` });
      expect(read.json()).toEqual(ticket);
    });

    it('when the body is invalid, then it is 400 listing every bad field', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: seller.headers,
        payload: { title: '', price: 1.234 },
      });
      expect(response.statusCode).toBe(400);
      const fields = response.json().errors.map((e: { field: string }) => e.field);
      expect(fields.sort()).toEqual(['price', 'title']);
    });

    it('when the new title holds half a character, then it is 400 on title and the ticket is unchanged', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: seller.headers,
        payload: { title: 'Row A \udfff', price: 10 },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([
        { field: 'title', message: expect.stringMatching(/broken character/) },
      ]);
      const read = await fx.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}` });
      expect(read.json()).toEqual(ticket);
    });

    it('when the ticket is reserved, then it is 400 "Cannot edit a reserved ticket"', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      await fx.db
        .updateTable('tickets')
        .set({ order_id: randomUUID(), status: 'reserved' })
        .where('id', '=', ticket.id)
        .execute();
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}`,
        headers: seller.headers,
        payload: { title: 'Too late', price: 1 },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
    });
  });

  it('when the OpenAPI document is requested, then it describes the ticket routes', async () => {
    const response = await fx.app.inject({ method: 'GET', url: '/api/tickets/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json().paths)).toEqual(
      expect.arrayContaining(['/api/tickets', '/api/tickets/{id}']),
    );
  });

  it('when NATS and Postgres answer, then /readyz reports both up', async () => {
    const response = await fx.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json().checks).toEqual({ database: 'up', nats: 'up' });
  });
});
