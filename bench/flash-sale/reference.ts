import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  eventTablesMigration,
  OUTBOX_CHANNEL,
  openDatabase,
  outboxTraceContextMigration,
} from '@gittix/common';
import pg from 'pg';
import { inParallel } from '../harness/api.js';
import type { Attempt, RaceResult } from './buyers.js';

/**
 * The reference database: what an order touches, in plain SQL of bench's own
 * (not the orders service's schema): the replica of tickets, and the orders with
 * the partial unique index that lets one live order per ticket. The outbox is
 * @gittix/common's, as in every service's database.
 */
const SCHEMA = `
  CREATE TABLE tickets (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    price_cents integer NOT NULL,
    user_id uuid NOT NULL,
    version integer NOT NULL DEFAULT 0,
    order_id uuid
  );
  CREATE TABLE orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    ticket_id uuid NOT NULL REFERENCES tickets (id),
    ticket_title text NOT NULL,
    ticket_price_cents integer NOT NULL,
    status text NOT NULL,
    expires_at timestamptz NOT NULL,
    version integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  );
  CREATE UNIQUE INDEX orders_ticket_reserved ON orders (ticket_id)
    WHERE status IN ('created', 'awaiting:payment', 'complete');
  CREATE INDEX orders_user_id_created_at ON orders (user_id, created_at DESC);`;

/** Creates the reference database at `url` (a fresh name) and its tables. */
export async function createReferenceDatabase(url: string): Promise<void> {
  const db = await openDatabase(url, {
    '0000_event_tables': eventTablesMigration,
    '0001_outbox_trace_context': outboxTraceContextMigration,
  });
  await db.destroy();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(SCHEMA);
  } finally {
    await client.end();
  }
}

/** Tickets in the reference database's replica table, as ticket.created would put them. */
export async function seedReferenceTickets(pool: pg.Pool, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await pool.query(
    `INSERT INTO tickets (id, title, price_cents, user_id)
     SELECT id, 'Reference seat ' || n, 4999, gen_random_uuid()
     FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
    [ids],
  );
  return ids;
}

const UNIQUE_VIOLATION = '23505';

/**
 * What placing an order does in the database, in one transaction: read the
 * ticket, insert the order (the partial unique index decides which of the
 * racing buyers wins), write order.created to the outbox, NOTIFY the relay,
 * commit. Resolves false when another order holds the ticket.
 */
export async function placeOrder(
  pool: pg.Pool,
  userId: string,
  ticketId: string,
): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: tickets } = await client.query(
      'SELECT id, title, price_cents FROM tickets WHERE id = $1',
      [ticketId],
    );
    const ticket = tickets[0];
    const { rows: orders } = await client.query(
      `INSERT INTO orders (user_id, ticket_id, ticket_title, ticket_price_cents, status, expires_at)
       VALUES ($1, $2, $3, $4, 'created', now() + interval '1 hour')
       RETURNING id, version, expires_at`,
      [userId, ticket.id, ticket.title, ticket.price_cents],
    );
    const order = orders[0];
    const envelope = createEnvelope(
      'order.created',
      {
        id: order.id,
        version: order.version,
        status: 'created',
        userId,
        expiresAt: order.expires_at.toISOString(),
        ticket: { id: ticket.id, price: ticket.price_cents / 100 },
      },
      randomUUID(),
    );
    await client.query('INSERT INTO outbox (id, subject, envelope) VALUES ($1, $2, $3)', [
      envelope.id,
      envelope.type,
      envelope,
    ]);
    await client.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK');
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The ceiling for the database: placeOrder straight from here, the same buyers
 * in the same order with the same number in flight, on a pool the size of the
 * orders service's (10). No HTTP, no gateway, no session check, no
 * serialization, no query builder.
 */
export async function raceAgainstPostgres(
  pool: pg.Pool,
  attempts: Attempt[],
  inFlight: number,
): Promise<RaceResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const rejections: Record<string, number> = {};
  const started = performance.now();
  await inParallel(attempts, inFlight, async ({ buyer, ticketId }) => {
    const at = performance.now();
    const placed = await placeOrder(pool, buyer.id, ticketId);
    latencies.push(performance.now() - at);
    const status = placed ? '201' : '400';
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!placed) {
      const key = '400 Ticket is already reserved';
      rejections[key] = (rejections[key] ?? 0) + 1;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    seconds,
    latencies,
    statuses,
    rejections,
    ordersPerSecond: (statuses['201'] ?? 0) / seconds,
  };
}
