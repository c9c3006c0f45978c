import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../src/tickets.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

/** The `rel="next"` URL of a Link header, if any. */
function nextLink(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  return /^<([^>]+)>;\s*rel="next"$/.exec(link)?.[1];
}

describe('GET /api/tickets', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
  });
  afterAll(() => fx.close());

  async function list(url: string) {
    const response = await fx.app.inject({ method: 'GET', url });
    return {
      response,
      tickets: response.json() as Ticket[],
      next: nextLink(response.headers.link),
    };
  }

  /** Follows Link headers from `url` to the last page. */
  async function allPages(url: string) {
    const pages: Ticket[][] = [];
    let current: string | undefined = url;
    while (current) {
      const page = await list(current);
      expect(page.response.statusCode).toBe(200);
      pages.push(page.tickets);
      current = page.next;
    }
    return pages;
  }

  it('when tickets exist, then they are listed newest first', async () => {
    const seller = await fx.user();
    const first = await fx.listTicket(seller);
    const second = await fx.listTicket(seller);
    const third = await fx.listTicket(seller);
    const { response, tickets } = await list(`/api/tickets?userId=${seller.id}`);
    expect(response.statusCode).toBe(200);
    expect(tickets).toEqual([third, second, first]);
  });

  it('when no ticket matches, then it is 200 with an empty list and no Link header', async () => {
    const { response, tickets } = await list(`/api/tickets?userId=${randomUUID()}`);
    expect(response.statusCode).toBe(200);
    expect(tickets).toEqual([]);
    expect(response.headers.link).toBeUndefined();
  });

  it('when q is given, then only titles containing it (any case) are listed', async () => {
    const tag = randomUUID().slice(0, 8);
    const seller = await fx.user();
    const match1 = await fx.listTicket(seller, { title: `The BEATLES ${tag} reunion` });
    const match2 = await fx.listTicket(seller, { title: `beatles tribute ${tag}` });
    await fx.listTicket(seller, { title: `Rolling Stones ${tag}` });
    const { tickets } = await list(
      `/api/tickets?userId=${seller.id}&q=${encodeURIComponent(' Beatles ')}`,
    );
    expect(tickets.map((t) => t.id)).toEqual([match2.id, match1.id]);
  });

  it('when q contains LIKE wildcards, then they match literally', async () => {
    const seller = await fx.user();
    const literal = await fx.listTicket(seller, { title: '100% fun_zone' });
    await fx.listTicket(seller, { title: '100 dollars of fun zone' });
    const percent = await list(`/api/tickets?userId=${seller.id}&q=${encodeURIComponent('0%')}`);
    expect(percent.tickets.map((t) => t.id)).toEqual([literal.id]);
    const underscore = await list(
      `/api/tickets?userId=${seller.id}&q=${encodeURIComponent('n_z')}`,
    );
    expect(underscore.tickets.map((t) => t.id)).toEqual([literal.id]);
    const backslash = await list(`/api/tickets?userId=${seller.id}&q=${encodeURIComponent('\\')}`);
    expect(backslash.tickets).toEqual([]);
  });

  it('when available=true, then reserved tickets are left out (and available=false lists only them)', async () => {
    const seller = await fx.user();
    const free = await fx.listTicket(seller);
    const reserved = await fx.listTicket(seller);
    await fx.db
      .updateTable('tickets')
      .set({ order_id: randomUUID(), status: 'reserved' })
      .where('id', '=', reserved.id)
      .execute();
    const available = await list(`/api/tickets?userId=${seller.id}&available=true`);
    expect(available.tickets.map((t) => t.id)).toEqual([free.id]);
    const taken = await list(`/api/tickets?userId=${seller.id}&available=false`);
    expect(taken.tickets.map((t) => t.id)).toEqual([reserved.id]);
  });

  it("when userId is given, then only that seller's tickets are listed", async () => {
    const alice = await fx.user();
    const bob = await fx.user();
    const alices = await fx.listTicket(alice);
    await fx.listTicket(bob);
    const { tickets } = await list(`/api/tickets?userId=${alice.id}`);
    expect(tickets).toEqual([alices]);
  });

  it('when no limit is given, then at most 100 tickets come back with a Link to the rest', async () => {
    const seller = await fx.user();
    await fx.db
      .insertInto('tickets')
      .values(
        Array.from({ length: 101 }, (_, i) => ({
          title: `bulk ${i}`,
          price_cents: 100,
          user_id: seller.id,
        })),
      )
      .execute();
    const first = await list(`/api/tickets?userId=${seller.id}`);
    expect(first.tickets).toHaveLength(100);
    expect(first.next).toBeDefined();
    const second = await list(first.next!);
    expect(second.tickets).toHaveLength(1);
    expect(second.next).toBeUndefined();
  });

  it.each([
    ['0', 'limit'],
    ['101', 'limit'],
    ['abc', 'limit'],
    ['2.5', 'limit'],
    ['1e1', 'limit'],
    ['0x10', 'limit'],
    ['%205', 'limit'],
    ['-5', 'limit'],
  ])('when limit is %s, then it is 400 on limit', async (limit, field) => {
    const { response } = await list(`/api/tickets?limit=${limit}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field, message: expect.any(String) }]);
  });

  it('when several query values are bad, then every one is listed', async () => {
    const { response } = await list('/api/tickets?limit=0&userId=nope&available=maybe&cursor=junk');
    expect(response.statusCode).toBe(400);
    const fields = response.json().errors.map((e: { field: string }) => e.field);
    expect(fields.sort()).toEqual(['available', 'cursor', 'limit', 'userId']);
  });

  it('when limit or a price bound is empty, as an empty form field sends it, then it is as if absent', async () => {
    for (const query of ['limit=', 'minPrice=', 'maxPrice=', 'limit=&minPrice=&maxPrice=']) {
      const { response } = await list(`/api/tickets?${query}`);
      expect(response.statusCode, query).toBe(200);
    }
  });

  it('when limit is 1 or 100, then it is accepted', async () => {
    expect((await list('/api/tickets?limit=1')).response.statusCode).toBe(200);
    expect((await list('/api/tickets?limit=100')).response.statusCode).toBe(200);
  });

  it('when pages are followed, then the Link keeps the filters and every ticket appears once, newest first', async () => {
    const tag = randomUUID().slice(0, 8);
    const seller = await fx.user();
    const listed: Ticket[] = [];
    for (let i = 0; i < 7; i++)
      listed.push(await fx.listTicket(seller, { title: `page ${tag} ${i}` }));
    await fx.listTicket(seller, { title: 'not matching q' });

    const url = `/api/tickets?q=${tag}&available=true&userId=${seller.id}&limit=3`;
    const firstPage = await list(url);
    const link = new URL(firstPage.next!, 'http://gateway.test');
    expect(link.pathname).toBe('/api/tickets');
    expect(Object.fromEntries(link.searchParams)).toEqual({
      q: tag,
      available: 'true',
      userId: seller.id,
      limit: '3',
      cursor: expect.any(String),
    });
    expect(firstPage.response.headers.link).toMatch(/^<\/api\/tickets\?[^>]+>; rel="next"$/);

    const pages = await allPages(url);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((t) => t.id)).toEqual(listed.reverse().map((t) => t.id));
  });

  it('when tickets are inserted between pages, then the next page neither repeats nor skips', async () => {
    const seller = await fx.user();
    const older: Ticket[] = [];
    for (let i = 0; i < 5; i++) older.push(await fx.listTicket(seller));
    const first = await list(`/api/tickets?userId=${seller.id}&limit=2`);
    // Newer tickets, and tickets with the very same created_at, land ahead of the cursor.
    await fx.listTicket(seller);
    await fx.listTicket(seller);
    const rest = await allPages(first.next!);
    const seen = [...first.tickets, ...rest.flat()].map((t) => t.id);
    expect(seen).toEqual(older.reverse().map((t) => t.id));
  });

  it('when many tickets share one created_at, then paging by (created_at, id) still returns each once', async () => {
    const seller = await fx.user();
    // One INSERT statement: clock_timestamp() differs per row, so force a tie explicitly.
    const at = new Date();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    await fx.db
      .insertInto('tickets')
      .values(ids.map((id) => ({ id, title: 'tie', price_cents: 100, user_id: seller.id })))
      .execute();
    await sql`UPDATE tickets SET created_at = ${at} WHERE id = ANY(${ids}::uuid[])`.execute(fx.db);
    const pages = await allPages(`/api/tickets?userId=${seller.id}&limit=2`);
    expect(pages.flat().map((t) => t.id)).toEqual([...ids].sort().reverse());
  });

  it('when the cursor was tampered with, then it is 400 on cursor', async () => {
    const forged = Buffer.from(
      JSON.stringify(['2025-02-30T00:00:00.000000Z', randomUUID()]),
    ).toString('base64url');
    const { response } = await list(`/api/tickets?cursor=${forged}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });
});

describe('values Postgres cannot hold', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
  });
  afterAll(() => fx.close());

  it('when a title or q holds a NUL character, then it is a 400 on that field', async () => {
    const seller = await fx.user();
    const created = await fx.app.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: seller.headers,
      payload: { title: 'a\u0000b', price: 5 },
    });
    expect(created.statusCode).toBe(400);
    expect(created.json()).toEqual({
      errors: [{ message: 'Title must not contain NUL characters', field: 'title' }],
    });
    const listed = await fx.app.inject({ method: 'GET', url: '/api/tickets?q=a%00b' });
    expect(listed.statusCode).toBe(400);
    expect(listed.json().errors[0].field).toBe('q');
  });

  it('when a cursor names year 0, then it is refused as a cursor this service never gave out', async () => {
    const cursor = Buffer.from(
      JSON.stringify(['0000-01-01T00:00:00.000000Z', randomUUID()]),
    ).toString('base64url');
    const response = await fx.app.inject({ method: 'GET', url: `/api/tickets?cursor=${cursor}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('cursor');
  });
});
