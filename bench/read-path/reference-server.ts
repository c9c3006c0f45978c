/**
 * The ceiling for `GET /api/tickets/:id` in Node on this machine: a bare
 * node:http server running the tickets service's query (the SQL Kysely builds
 * for findTicket) through the same driver and pool size, and answering the same
 * JSON. No framework, validation, auth, logging or metrics.
 *
 *   DATABASE_URL=… PORT=… node --import tsx bench/read-path/reference-server.ts
 */
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => {});
const query =
  'select "id", "title", "price_cents", "user_id", "version", "order_id", "created_at" from "tickets" where "id" = $1';
const prefix = '/api/tickets/';

const server = createServer(async (request, response) => {
  try {
    const { rows } = await pool.query(query, [request.url!.slice(prefix.length)]);
    const row = rows[0];
    const body = row
      ? JSON.stringify({
          id: row.id,
          title: row.title,
          price: row.price_cents / 100,
          userId: row.user_id,
          version: row.version,
          orderId: row.order_id,
        })
      : '{"errors":[{"message":"Ticket not found"}]}';
    response.writeHead(row ? 200 : 404, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
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
