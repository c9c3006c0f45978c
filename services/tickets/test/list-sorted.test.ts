import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../src/tickets.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

function nextLink(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  return /^<([^>]+)>;\s*rel="next"$/.exec(link)?.[1];
}

describe('GET /api/tickets: events, price filters and sorts', () => {
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
  async function allPages(url: string) {
    const seen: Ticket[] = [];
    let current: string | undefined = url;
    while (current) {
      const page = await list(current);
      expect(page.response.statusCode).toBe(200);
      seen.push(...page.tickets);
      current = page.next;
    }
    return seen;
  }
  const ids = (tickets: Ticket[]) => tickets.map((t) => t.id);
  const byPrice = (a: Ticket, b: Ticket) => a.price - b.price || a.id.localeCompare(b.id);

  it("when eventId is given, then only that event's tickets come back", async () => {
    const seller = await fx.user();
    const event = await fx.addEvent(seller);
    const other = await fx.addEvent(seller);
    const mine = await fx.listTicket(seller, { eventId: event.id });
    await fx.listTicket(seller, { eventId: other.id });
    await fx.listTicket(seller);
    expect(ids((await list(`/api/tickets?eventId=${event.id}`)).tickets)).toEqual([mine.id]);
  });

  it('when sort is price or -price, then tickets come cheapest or dearest first, ties by id', async () => {
    const seller = await fx.user();
    const event = await fx.addEvent(seller);
    const listed: Ticket[] = [];
    for (const price of [30, 10, 20, 10, 50, 20]) {
      listed.push(await fx.listTicket(seller, { eventId: event.id, price }));
    }
    const cheapest = (await list(`/api/tickets?eventId=${event.id}&sort=price`)).tickets;
    expect(ids(cheapest)).toEqual(ids([...listed].sort(byPrice)));
    const dearest = (await list(`/api/tickets?eventId=${event.id}&sort=-price`)).tickets;
    expect(ids(dearest)).toEqual(ids([...listed].sort(byPrice).reverse()));
    const newest = (await list(`/api/tickets?eventId=${event.id}&sort=newest`)).tickets;
    expect(ids(newest)).toEqual(ids([...listed].reverse()));
  });

  it('when minPrice and maxPrice are given, then only prices within them (inclusive) are listed', async () => {
    const seller = await fx.user();
    const event = await fx.addEvent(seller);
    const prices = [5, 9.99, 10, 25.5, 40, 40.01];
    const listed = new Map<number, Ticket>();
    for (const price of prices)
      listed.set(price, await fx.listTicket(seller, { eventId: event.id, price }));
    const found = await list(`/api/tickets?eventId=${event.id}&minPrice=10&maxPrice=40&sort=price`);
    expect(found.tickets.map((t) => t.price)).toEqual([10, 25.5, 40]);
    const equal = await list(`/api/tickets?eventId=${event.id}&minPrice=25.5&maxPrice=25.5`);
    expect(ids(equal.tickets)).toEqual([listed.get(25.5)!.id]);
  });

  it.each(['price', '-price', 'newest'] as const)(
    'when pages sorted by %s are followed while cheaper, dearer and newer tickets arrive, then each earlier ticket appears once in order',
    async (sort) => {
      const seller = await fx.user();
      const event = await fx.addEvent(seller);
      const listed: Ticket[] = [];
      for (const price of [12, 7, 7, 30, 18, 7, 25]) {
        listed.push(await fx.listTicket(seller, { eventId: event.id, price }));
      }
      const url = `/api/tickets?eventId=${event.id}&sort=${sort}&limit=3`;
      const first = await list(url);
      const link = new URL(first.next!, 'http://gateway.test');
      expect(Object.fromEntries(link.searchParams)).toEqual({
        eventId: event.id,
        ...(sort === 'newest' ? {} : { sort }),
        limit: '3',
        cursor: expect.any(String),
      });
      for (const price of [1, 7, 100]) await fx.listTicket(seller, { eventId: event.id, price });
      const rest = await allPages(first.next!);
      const expected =
        sort === 'price'
          ? [...listed].sort(byPrice)
          : sort === '-price'
            ? [...listed].sort(byPrice).reverse()
            : [...listed].reverse();
      const seen = ids([...first.tickets, ...rest]);
      // Pages after the first hold the earlier tickets past the cursor, in order, each once;
      // a new ticket may appear only if it sorts after the cursor.
      const earlier = seen.filter((id) => listed.some((t) => t.id === id));
      expect(earlier).toEqual(ids(expected));
      expect(new Set(seen).size).toBe(seen.length);
    },
  );

  it('when a ticket belongs to a started event, then public lists leave it out and its seller still sees it', async () => {
    const seller = await fx.user();
    const event = await fx.addEvent(seller);
    const ticket = await fx.listTicket(seller, { eventId: event.id });
    expect(ids((await list(`/api/tickets?eventId=${event.id}`)).tickets)).toEqual([ticket.id]);
    await fx.moveEvent(event.id, new Date(Date.now() - 60_000));
    expect((await list(`/api/tickets?eventId=${event.id}`)).tickets).toEqual([]);
    const mine = await list(`/api/tickets?userId=${seller.id}&eventId=${event.id}`);
    expect(ids(mine.tickets)).toEqual([ticket.id]);
  });

  it('when query values are bad, then each is a 400 on its field', async () => {
    const cases: Array<[string, string]> = [
      ['sort=cheapest', 'sort'],
      ['minPrice=abc', 'minPrice'],
      ['maxPrice=-1', 'maxPrice'],
      ['minPrice=1.001', 'minPrice'],
      ['maxPrice=1000001', 'maxPrice'],
      ['eventId=42', 'eventId'],
      ['minPrice=50&maxPrice=10', 'minPrice'],
      ['minPrice=0x10', 'minPrice'],
      ['maxPrice=1e2', 'maxPrice'],
      ['minPrice=%205', 'minPrice'],
      ['maxPrice=Infinity', 'maxPrice'],
    ];
    for (const [query, field] of cases) {
      const { response } = await list(`/api/tickets?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(
        response.json().errors.map((e: { field: string }) => e.field),
        query,
      ).toEqual([field]);
    }
    const both = await list('/api/tickets?sort=up&eventId=x&limit=0');
    expect(
      both.response
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['eventId', 'limit', 'sort']);
  });

  it('when a cursor of one sort is used with another, then it is 400 on cursor', async () => {
    const seller = await fx.user();
    for (let i = 0; i < 3; i++) await fx.listTicket(seller, { price: 10 + i });
    const first = await list(`/api/tickets?userId=${seller.id}&sort=price&limit=1`);
    const cursor = new URL(first.next!, 'http://x').searchParams.get('cursor');
    const mixed = await list(`/api/tickets?userId=${seller.id}&sort=-price&cursor=${cursor}`);
    expect(mixed.response.statusCode).toBe(400);
    expect(mixed.response.json().errors).toEqual([
      { field: 'cursor', message: 'Cursor belongs to another sort' },
    ]);
    const forged = Buffer.from(JSON.stringify(['price', 0, randomUUID()])).toString('base64url');
    expect((await list(`/api/tickets?sort=price&cursor=${forged}`)).response.statusCode).toBe(400);
  });
});
