import { waitFor } from '@gittix/common/testing';
import type pg from 'pg';

export interface SaleProof {
  /** Orders on the sale's tickets, in any status. */
  orders: number;
  ticketsWithAnOrder: number;
  ticketsOrderedTwice: number;
  /** order.created rows in the outbox for the sale's tickets. */
  orderCreatedEvents: number;
  /** Tickets the tickets service holds reserved by the order that won them (undefined: not checked). */
  reservedByWinner?: number;
  /** From the last 201 to every ticket reserved in the tickets database, ms. */
  reservedWithinMs?: number;
}

/** Counts straight from an orders database: one order per ticket, or not. */
export async function countOrders(orders: pg.Pool, ticketIds: string[]): Promise<SaleProof> {
  const { rows } = await orders.query<{
    orders: number;
    tickets: number;
    twice: number;
    events: number;
  }>(
    `SELECT
      (SELECT count(*) FROM orders WHERE ticket_id = ANY($1::uuid[]))::int AS orders,
      (SELECT count(DISTINCT ticket_id) FROM orders WHERE ticket_id = ANY($1::uuid[]))::int AS tickets,
      (SELECT count(*) FROM (SELECT ticket_id FROM orders WHERE ticket_id = ANY($1::uuid[])
        GROUP BY ticket_id HAVING count(*) > 1) twice)::int AS twice,
      (SELECT count(*) FROM outbox WHERE subject = 'order.created'
        AND (envelope #>> '{data,ticket,id}')::uuid = ANY($1::uuid[]))::int AS events`,
    [ticketIds],
  );
  const row = rows[0]!;
  return {
    orders: row.orders,
    ticketsWithAnOrder: row.tickets,
    ticketsOrderedTwice: row.twice,
    orderCreatedEvents: row.events,
  };
}

/**
 * Waits until the tickets service holds every sale ticket that an order won
 * reserved by that order, as the orders database says (order.created → reserve →
 * ticket.updated): the sale is over only when both services agree. A ticket no
 * order won (every buyer of it refused with 503 under load) has nothing to wait for.
 */
export async function waitForReservations(
  orders: pg.Pool,
  tickets: pg.Pool,
  ticketIds: string[],
  timeoutMs = 120_000,
): Promise<{ reservedByWinner: number; reservedWithinMs: number }> {
  const started = performance.now();
  const { rows: winners } = await orders.query<{ ticket_id: string; id: string }>(
    `SELECT ticket_id, id FROM orders WHERE ticket_id = ANY($1::uuid[])
      AND status IN ('created', 'awaiting:payment', 'complete')`,
    [ticketIds],
  );
  const winnerOf = new Map(winners.map((w) => [w.ticket_id, w.id]));
  let reservedByWinner = 0;
  await waitFor(
    async () => {
      const { rows } = await tickets.query<{ id: string; order_id: string | null }>(
        'SELECT id, order_id FROM tickets WHERE id = ANY($1::uuid[])',
        [ticketIds],
      );
      reservedByWinner = rows.filter((r) => r.order_id && r.order_id === winnerOf.get(r.id)).length;
      return reservedByWinner === winnerOf.size;
    },
    { timeoutMs, intervalMs: 50, message: 'every sale ticket reserved in the tickets service' },
  ).catch(() => undefined);
  return { reservedByWinner, reservedWithinMs: performance.now() - started };
}
