/**
 * The ceiling for the tickets service's reads in Node on this machine: a bare
 * node:http server running the tickets service's queries (the SQL Kysely builds
 * for findTicket and for listTickets with `eventId` and `sort=price`) through the
 * same driver and pool size, and answering the same JSON (and, for the list, the
 * same Link header). No framework, validation, auth, logging or metrics.
 *
 *   DATABASE_URL=… PORT=… node --import tsx bench/read-path/reference-server.ts
 */
import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => {});
const columns =
  'select "t"."id", "t"."title", "t"."price_cents", "t"."user_id", "t"."version", "t"."order_id", "t"."status", "t"."event_id", "t"."event_starts_at", "t"."created_at", "e"."name" as "event_name", "e"."venue" as "event_venue", "e"."city" as "event_city"';
const join = ' from "tickets" as "t" left join "events" as "e" on "e"."id" = "t"."event_id"';
const byId = `${columns}${join} where "t"."id" = $1`;
const byEventCheapest = `${columns}, to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "cursor_at"${join} where t.status <> 'withdrawn' and (t.event_starts_at IS NULL OR t.event_starts_at > now()) and "t"."event_id" = $1 order by "t"."price_cents" asc, "t"."id" asc limit $2`;
const LIMIT = 100;

interface Row {
  id: string;
  title: string;
  price_cents: number;
  user_id: string;
  version: number;
  order_id: string | null;
  status: string;
  event_id: string | null;
  event_starts_at: Date | null;
  event_name: string | null;
  event_venue: string | null;
  event_city: string | null;
}

function toTicket(row: Row) {
  return {
    id: row.id,
    title: row.title,
    price: row.price_cents / 100,
    userId: row.user_id,
    version: row.version,
    orderId: row.order_id,
    status: row.status,
    eventId: row.event_id,
    event:
      row.event_id && row.event_starts_at
        ? {
            id: row.event_id,
            name: row.event_name,
            venue: row.event_venue,
            city: row.event_city,
            startsAt: row.event_starts_at.toISOString(),
          }
        : null,
  };
}

function send(response: ServerResponse, status: number, body: string, link?: string) {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(link ? { link } : {}),
  });
  response.end(body);
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url!, 'http://reference');
    if (url.pathname === '/api/tickets') {
      const eventId = url.searchParams.get('eventId');
      const { rows } = await pool.query<Row>(byEventCheapest, [eventId, LIMIT + 1]);
      const page = rows.slice(0, LIMIT);
      const last = page.at(-1);
      const link =
        rows.length > LIMIT && last
          ? `</api/tickets?eventId=${eventId}&sort=price&limit=${LIMIT}&cursor=${Buffer.from(
              JSON.stringify(['price', last.price_cents, last.id]),
            ).toString('base64url')}>; rel="next"`
          : undefined;
      send(response, 200, JSON.stringify(page.map(toTicket)), link);
      return;
    }
    const { rows } = await pool.query<Row>(byId, [url.pathname.slice('/api/tickets/'.length)]);
    const row = rows[0];
    if (row) send(response, 200, JSON.stringify(toTicket(row)));
    else send(response, 404, '{"errors":[{"message":"Ticket not found"}]}');
  } catch {
    response.writeHead(500).end();
  }
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end();
});
