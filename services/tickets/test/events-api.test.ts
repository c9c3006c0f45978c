import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueEvent } from '../src/catalogue.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { orderCancelled, orderCompleted, orderCreated } from './order-events.js';

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

function nextLink(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  return /^<([^>]+)>;\s*rel="next"$/.exec(link)?.[1];
}

describe('events catalogue: /api/events', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  async function list(url: string) {
    const response = await fx.app.inject({ method: 'GET', url });
    return {
      response,
      events: response.json() as CatalogueEvent[],
      next: nextLink(response.headers.link),
    };
  }

  describe('POST /api/events', () => {
    it('when a signed-in user adds an event, then it is 201 with nothing for sale yet', async () => {
      const user = await fx.user();
      const startsAt = inDays(10);
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/events',
        headers: user.headers,
        payload: { name: ' Radiohead ', venue: 'Bercy', city: 'Paris', startsAt },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({
        id: expect.any(String),
        name: 'Radiohead',
        venue: 'Bercy',
        city: 'Paris',
        startsAt,
        createdBy: user.id,
        availableTickets: 0,
        minPrice: null,
      });
    });

    it('when a start has an offset, then it is stored as that instant and shown in UTC', async () => {
      const user = await fx.user();
      const local = new Date(Date.now() + 3 * DAY);
      local.setUTCMilliseconds(0);
      const withOffset = `${local.toISOString().slice(0, 19)}+02:00`;
      const event = await fx.addEvent(user, { startsAt: withOffset });
      expect(event.startsAt).toBe(new Date(Date.parse(withOffset)).toISOString());
    });

    it('when nobody is signed in, then it is 401', async () => {
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/events',
        payload: { name: 'x', venue: 'y', city: 'z', startsAt: inDays(1) },
      });
      expect(response.statusCode).toBe(401);
    });

    it('when every field is bad, then it is 400 naming each and nothing is stored', async () => {
      const user = await fx.user();
      const name = 'n'.repeat(121);
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/events',
        headers: user.headers,
        payload: { name, venue: '  ', city: 'c'.repeat(81), startsAt: 'next friday' },
      });
      expect(response.statusCode).toBe(400);
      const errors = response.json().errors as Array<{ field: string; message: string }>;
      expect(errors.map((e) => e.field).sort()).toEqual(['city', 'name', 'startsAt', 'venue']);
      expect(errors.find((e) => e.field === 'startsAt')?.message).toMatch(/ISO/);
      const stored = await fx.db
        .selectFrom('events')
        .select('id')
        .where('name', '=', name)
        .execute();
      expect(stored).toEqual([]);
    });

    it.each([
      [
        'in the past',
        () => new Date(Date.now() - 60_000).toISOString(),
        /^Starts at must be in the future$/,
      ],
      ['a date without a time', () => '2031-05-01', /ISO/],
      ['not a string', () => 1_900_000_000_000, /ISO|string/],
      ['missing', () => undefined, /ISO|required|string/],
    ])('when startsAt is %s, then it is 400 on field startsAt', async (_, startsAt, message) => {
      const user = await fx.user();
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/events',
        headers: user.headers,
        payload: {
          name: `Show ${randomUUID()}`,
          venue: 'Hall',
          city: 'Lyon',
          startsAt: startsAt(),
        },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([
        { field: 'startsAt', message: expect.stringMatching(message) },
      ]);
    });

    it.each([
      ['name', '\u200b'],
      ['venue', 'Hall \ud800'],
      ['city', '\u2060\u200c'],
    ])(
      'when the %s is only invisible characters or holds half a character, then it is 400 on that field and nothing is added',
      async (field, value) => {
        const user = await fx.user();
        const name = `Show ${randomUUID()}`;
        const response = await fx.app.inject({
          method: 'POST',
          url: '/api/events',
          headers: user.headers,
          payload: {
            name,
            venue: 'Hall',
            city: 'Lyon',
            startsAt: new Date(Date.now() + 86_400_000).toISOString(),
            [field]: value,
          },
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().errors).toEqual([
          { field, message: expect.stringMatching(/blank|broken character/) },
        ]);
        const stored = await fx.db
          .selectFrom('events')
          .select('id')
          .where('name', '=', name)
          .execute();
        expect(stored).toEqual([]);
      },
    );

    it('when the same name, venue and start exist in another case, then it is 400 "Event already exists" on name', async () => {
      const user = await fx.user();
      const event = await fx.addEvent(user, { name: 'Daft Punk Live', venue: 'Zénith' });
      const response = await fx.app.inject({
        method: 'POST',
        url: '/api/events',
        headers: (await fx.user()).headers,
        payload: {
          name: 'DAFT PUNK live',
          venue: 'zénith',
          city: 'Paris',
          startsAt: event.startsAt,
        },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        errors: [{ field: 'name', message: 'Event already exists' }],
      });
      // Another night of the same show is another event.
      const other = await fx.addEvent(user, {
        name: 'Daft Punk Live',
        venue: 'Zénith',
        startsAt: new Date(Date.parse(event.startsAt) + DAY).toISOString(),
      });
      expect(other.id).not.toBe(event.id);
    });

    it('when the same event is added by 10 users at once, then exactly one is created', async () => {
      const name = `Race ${randomUUID()}`;
      const startsAt = inDays(20);
      const users = await Promise.all(Array.from({ length: 10 }, () => fx.user()));
      const responses = await Promise.all(
        users.map((user) =>
          fx.app.inject({
            method: 'POST',
            url: '/api/events',
            headers: user.headers,
            payload: { name, venue: 'Hall', city: 'Lyon', startsAt },
          }),
        ),
      );
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, ...Array(9).fill(400)]);
    });
  });

  describe('GET /api/events', () => {
    it('when events exist, then upcoming ones come soonest first and past ones only by id', async () => {
      const user = await fx.user();
      const city = `City ${randomUUID().slice(0, 8)}`;
      const later = await fx.addEvent(user, { city, startsAt: inDays(9) });
      const sooner = await fx.addEvent(user, { city, startsAt: inDays(2) });
      const past = await fx.addEvent(user, { city, startsAt: inDays(5) });
      await fx.moveEvent(past.id, new Date(Date.now() - DAY));

      const { events } = await list(`/api/events?city=${encodeURIComponent(city)}`);
      expect(events.map((e) => e.id)).toEqual([sooner.id, later.id]);
      const byId = await fx.app.inject({ method: 'GET', url: `/api/events/${past.id}` });
      expect(byId.statusCode).toBe(200);
      expect(byId.json()).toMatchObject({ id: past.id, availableTickets: 0, minPrice: null });
    });

    it('when q is given, then it matches name, venue or city, any case, literally', async () => {
      const user = await fx.user();
      const tag = randomUUID().slice(0, 8);
      const byName = await fx.addEvent(user, { name: `Jazz ${tag}` });
      const byVenue = await fx.addEvent(user, { venue: `Cave ${tag}` });
      const byCity = await fx.addEvent(user, { city: `Town ${tag}` });
      await fx.addEvent(user, { name: 'Unrelated' });
      const { events } = await list(`/api/events?q=${tag.toUpperCase()}`);
      expect(events.map((e) => e.id).sort()).toEqual([byName.id, byVenue.id, byCity.id].sort());
      expect((await list('/api/events?q=%25%25%25')).events).toEqual([]);
    });

    it('when city is given, then it matches the whole city in any case', async () => {
      const user = await fx.user();
      const city = `Lille-${randomUUID().slice(0, 6)}`;
      const event = await fx.addEvent(user, { city });
      expect(
        (await list(`/api/events?city=${city.toLowerCase()}`)).events.map((e) => e.id),
      ).toEqual([event.id]);
      expect((await list(`/api/events?city=${city.slice(0, 5)}`)).events).toEqual([]);
    });

    it('when from and to are given, then only events starting within them are listed', async () => {
      const user = await fx.user();
      const city = `Window ${randomUUID().slice(0, 6)}`;
      const a = await fx.addEvent(user, { city, startsAt: inDays(3) });
      const b = await fx.addEvent(user, { city, startsAt: inDays(6) });
      await fx.addEvent(user, { city, startsAt: inDays(12) });
      const past = await fx.addEvent(user, { city, startsAt: inDays(4) });
      await fx.moveEvent(past.id, new Date(Date.now() - 2 * DAY));
      const window = (from: string, to: string) =>
        list(`/api/events?city=${encodeURIComponent(city)}&from=${from}&to=${to}`);
      expect((await window(a.startsAt, b.startsAt)).events.map((e) => e.id)).toEqual([a.id, b.id]);
      // An explicit `from` in the past reaches past events.
      const withPast = await window(inDays(-3), inDays(4));
      expect(withPast.events.map((e) => e.id)).toEqual([past.id, a.id]);
    });

    it('when query values are bad, then every one is listed with its field', async () => {
      const { response } = await list('/api/events?limit=101&from=yesterday&to=soon&cursor=junk');
      expect(response.statusCode).toBe(400);
      const fields = response.json().errors.map((e: { field: string }) => e.field);
      expect(fields.sort()).toEqual(['cursor', 'from', 'limit', 'to']);
      const backwards = await list(`/api/events?from=${inDays(5)}&to=${inDays(1)}`);
      expect(backwards.response.statusCode).toBe(400);
      expect(backwards.response.json().errors).toEqual([
        { field: 'to', message: 'to must not be before from' },
      ]);
    });

    it('when pages are followed, then each event appears once, soonest first, even with new events added between pages', async () => {
      const user = await fx.user();
      const city = `Paging ${randomUUID().slice(0, 6)}`;
      const added: CatalogueEvent[] = [];
      for (let day = 1; day <= 5; day++)
        added.push(await fx.addEvent(user, { city, startsAt: inDays(day) }));
      const first = await list(`/api/events?city=${encodeURIComponent(city)}&limit=2`);
      expect(first.events.map((e) => e.id)).toEqual([added[0]!.id, added[1]!.id]);
      const link = new URL(first.next!, 'http://gateway.test');
      expect(link.pathname).toBe('/api/events');
      expect(link.searchParams.get('city')).toBe(city);
      // Sooner than the cursor: it must not shift the next pages.
      await fx.addEvent(user, { city, startsAt: inDays(0.5) });
      const seen = [...first.events];
      let next = first.next;
      while (next) {
        const page = await list(next);
        seen.push(...page.events);
        next = page.next;
      }
      expect(seen.map((e) => e.id)).toEqual(added.map((e) => e.id));
    });
  });

  describe('GET /api/events/:id', () => {
    it('when the id is unknown or malformed, then it is 404', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const response = await fx.app.inject({ method: 'GET', url: `/api/events/${id}` });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toEqual({ errors: [{ message: expect.any(String) }] });
      }
    });

    it('when its tickets are listed, reserved, released, sold and withdrawn, then availableTickets and minPrice follow every step', async () => {
      const seller = await fx.user();
      const event = await fx.addEvent(seller);
      const counts = async () => {
        const { availableTickets, minPrice } = await fx.eventState(event.id);
        return { availableTickets, minPrice };
      };
      const cheap = await fx.listTicket(seller, { eventId: event.id, price: 20 });
      const mid = await fx.listTicket(seller, { eventId: event.id, price: 35.5 });
      const dear = await fx.listTicket(seller, { eventId: event.id, price: 90 });
      expect(await counts()).toEqual({ availableTickets: 3, minPrice: 20 });

      const hold = orderCreated(cheap);
      await fx.deliver('order.created', hold);
      expect(await counts()).toEqual({ availableTickets: 2, minPrice: 35.5 });

      await fx.deliver('order.cancelled', orderCancelled(cheap.id, hold.id));
      expect(await counts()).toEqual({ availableTickets: 3, minPrice: 20 });

      const sale = orderCreated(mid);
      await fx.deliver('order.created', sale);
      await fx.deliver('order.completed', orderCompleted(mid, sale.id));
      expect(await counts()).toEqual({ availableTickets: 2, minPrice: 20 });

      const withdrawn = await fx.app.inject({
        method: 'DELETE',
        url: `/api/tickets/${cheap.id}`,
        headers: seller.headers,
      });
      expect(withdrawn.statusCode).toBe(204);
      expect(await counts()).toEqual({ availableTickets: 1, minPrice: 90 });

      await fx.app.inject({
        method: 'DELETE',
        url: `/api/tickets/${dear.id}`,
        headers: seller.headers,
      });
      expect(await counts()).toEqual({ availableTickets: 0, minPrice: null });
      // The list shows the same figures as the event itself.
      const listed = (await list(`/api/events?q=${encodeURIComponent(event.name)}`)).events;
      expect(listed).toEqual([await fx.eventState(event.id)]);
    });
  });
});
