import { type Kysely, sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { TicketsDatabase } from './db/schema.js';

/**
 * `gittix_tickets_overdue_hold_seconds`, read at each scrape: how far past its order's
 * expiresAt the most overdue reservation is (0 when none is). An order ends by its
 * expiresAt, or within the orders sweeper's grace: cancelled (order.cancelled frees the
 * ticket) or paid (order.completed sells it). A ticket still reserved long after means
 * this service never handled that event (dead-lettered, or its consumer stuck), and
 * nothing here can tell which of the two it missed: the seller cannot edit or withdraw
 * the ticket and buyers do not see it for sale until someone replays the event. Reads
 * the reserved tickets only (index `tickets_reserved`) and their orders_seen rows.
 */
export function registerHoldMetrics(registry: Registry, db: Kysely<TicketsDatabase>): void {
  new Gauge({
    name: 'gittix_tickets_overdue_hold_seconds',
    help: "How far past its order's expiresAt the most overdue reserved ticket is (0 when none is): the order's order.cancelled or order.completed never reached tickets",
    registers: [registry],
    async collect() {
      try {
        const { rows } = await sql<{ overdue: number | null }>`
          SELECT EXTRACT(EPOCH FROM now() - min(seen.expires_at))::float8 AS overdue
          FROM tickets JOIN orders_seen AS seen ON seen.order_id = tickets.order_id
          WHERE tickets.status = 'reserved'`.execute(db);
        this.set(Math.max(0, rows[0]?.overdue ?? 0));
      } catch {
        // The database is away: /metrics still answers, with the last value.
      }
    },
  });
}
