import { type Compilable, CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsQuery } from '../src/catalogue.js';
import { type TicketFilters, ticketsQuery } from '../src/list-tickets.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

const EVENTS = 500;
const TICKETS = 50_000;
/** Set PRINT_PLANS=1 to see the plans (docs/tickets.md shows them). */
const print = process.env.PRINT_PLANS === '1';

describe('query plans: every list is served by its index', () => {
  let fx: TicketsFixture;
  let eventId: string;
  let seller: string;

  beforeAll(async () => {
    fx = await createTicketsFixture();
    await sql`
      INSERT INTO events (name, venue, city, starts_at, created_by)
      SELECT 'Show ' || n, 'Venue ' || (n % 40), 'City ' || (n % 25),
             now() + (n || ' hours')::interval, gen_random_uuid()
      FROM generate_series(1, ${EVENTS}) AS n`.execute(fx.db);
    // Most tickets for an event, a tenth without one; a few of each status.
    await sql`
      WITH e AS (SELECT id, starts_at, row_number() OVER (ORDER BY id) AS k FROM events)
      INSERT INTO tickets (title, price_cents, user_id, status, order_id, event_id, event_starts_at)
      SELECT 'Seat ' || n, 100 + (n * 7919) % 50000,
             ('00000000-0000-4000-8000-' || lpad(to_hex(n % 2000), 12, '0'))::uuid,
             s.status,
             CASE WHEN s.status IN ('reserved', 'sold') THEN gen_random_uuid() END,
             e.id, e.starts_at
      FROM generate_series(1, ${TICKETS}) AS n
      CROSS JOIN LATERAL (SELECT CASE WHEN n % 20 = 0 THEN 'withdrawn' WHEN n % 20 = 1 THEN 'sold'
                                      WHEN n % 20 = 2 THEN 'reserved' ELSE 'available' END AS status) s
      LEFT JOIN e ON n % 10 <> 0 AND e.k = 1 + n % ${EVENTS}`.execute(fx.db);
    await sql`ANALYZE tickets`.execute(fx.db);
    await sql`ANALYZE events`.execute(fx.db);
    const one = await fx.db.selectFrom('events').select('id').limit(1).executeTakeFirstOrThrow();
    eventId = one.id;
    seller = '00000000-0000-4000-8000-000000000007';
  }, 120_000);
  afterAll(() => fx.close());

  async function plan(query: Compilable): Promise<string> {
    const compiled = query.compile();
    const result = await fx.db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]),
    );
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  const tickets = (filters: Partial<TicketFilters>) =>
    ticketsQuery(fx.db, { sort: 'newest', limit: 24, ...filters });

  const cases: Array<[string, () => Compilable, RegExp]> = [
    ['GET /api/tickets', () => tickets({}), /Index Scan using tickets_newest/],
    [
      'GET /api/tickets?available=true',
      () => tickets({ available: true }),
      /Index Scan using tickets_available_newest/,
    ],
    [
      'GET /api/tickets?sort=price',
      () => tickets({ sort: 'price' }),
      /Index Scan using tickets_listed_price/,
    ],
    [
      'GET /api/tickets?sort=-price&cursor=…',
      () => tickets({ sort: '-price', after: { sort: '-price', priceCents: 25_000, id: eventId } }),
      /Index Scan Backward using tickets_listed_price/,
    ],
    [
      'GET /api/tickets?eventId=…&sort=price',
      () => tickets({ eventId, sort: 'price' }),
      /Index Scan using tickets_event_price/,
    ],
    [
      'GET /api/tickets?eventId=…&sort=-price',
      () => tickets({ eventId, sort: '-price' }),
      /Index Scan Backward using tickets_event_price/,
    ],
    [
      'GET /api/tickets?eventId=…&available=true&sort=price (the event page)',
      () => tickets({ eventId, available: true, sort: 'price' }),
      /Index Scan using tickets_event_for_sale/,
    ],
    [
      'GET /api/tickets?eventId=…&sort=newest',
      () => tickets({ eventId }),
      /Index Scan using tickets_event_newest/,
    ],
    ['GET /api/tickets?userId=…', () => tickets({ userId: seller }), /tickets_seller_newest/],
    ['GET /api/events', () => eventsQuery(fx.db, { limit: 24 }), /Index Scan using events_soonest/],
    [
      'GET /api/events?city=…',
      () => eventsQuery(fx.db, { limit: 24, city: 'City 3' }),
      /events_city_soonest/,
    ],
  ];

  // The builders run in the test, once the seeded event id is known.
  it.each(cases)(
    'when %s is planned, then it walks its index, never the whole table',
    async (name, build, index) => {
      const text = await plan(build());
      if (print) console.info(`-- ${name}\n${text}\n`);
      expect(text).toMatch(index);
      expect(text).not.toMatch(/Seq Scan on tickets/);
    },
  );
});
