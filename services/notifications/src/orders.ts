import { type Kysely, sql } from 'kysely';
import type { NotificationsDatabase, OrdersTable } from './db/schema.js';

type OrderFacts = Pick<OrdersTable, 'id'> & Partial<Omit<OrdersTable, 'id'>>;

/**
 * Records what an order event tells about an order. The facts never change once
 * known, so whatever arrives first fills them and nothing overwrites them.
 */
export async function recordOrder(
  trx: Kysely<NotificationsDatabase>,
  facts: OrderFacts,
): Promise<Omit<OrdersTable, 'id'>> {
  const values = {
    id: facts.id,
    buyer_id: facts.buyer_id ?? null,
    seller_id: facts.seller_id ?? null,
    ticket_id: facts.ticket_id ?? null,
    ticket_title: facts.ticket_title ?? null,
    ended_at: facts.ended_at ?? null,
  };
  const known = <C extends keyof typeof values>(column: C) =>
    sql<(typeof values)[C]>`COALESCE(orders.${sql.ref(column)}, excluded.${sql.ref(column)})`;
  return trx
    .insertInto('orders')
    .values(values)
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet({
        buyer_id: known('buyer_id'),
        seller_id: known('seller_id'),
        ticket_id: known('ticket_id'),
        ticket_title: known('ticket_title'),
        ended_at: known('ended_at'),
      }),
    )
    .returning(['buyer_id', 'seller_id', 'ticket_id', 'ticket_title', 'ended_at'])
    .executeTakeFirstOrThrow();
}

/**
 * The order was cancelled (by its buyer, refused, or expired) or completed (paid); the
 * caller recorded it as ended: its hold email, if it has not gone yet (its wait, an
 * SMTP outage, a buyer not known yet), is given up, since "your ticket is on hold, pay
 * by …" would now be untrue.
 * order.created and order.cancelled both take the order's row first (recordOrder), so
 * a hold email queued at the same moment is either seen here or not queued at all.
 * Returns the kinds given up, for the `stale` count.
 */
export async function giveUpOrderEmails(
  trx: Kysely<NotificationsDatabase>,
  orderId: string,
): Promise<string[]> {
  const { rows } = await sql<{ kind: string }>`
    UPDATE emails SET failed_at = now(),
      last_error = 'not sent: out of date (the order ended before it could be sent)'
    WHERE order_id = ${orderId} AND sent_at IS NULL AND failed_at IS NULL
    RETURNING kind`.execute(trx);
  return rows.map((row) => row.kind);
}
