import type { HandlerContext } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { NotificationsDatabase, OrdersTable } from './db/schema.js';
import { countStaleAfterCommit } from './metrics.js';

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
 * The order ended: cancelled (by its buyer, refused, or expired), completed, or its
 * payment captured (which can be handled before the order's own events). Its facts are
 * recorded with `ended_at`, and its hold email, if it has not gone yet (its wait, an
 * SMTP outage, a buyer not known yet), is given up, since "your ticket is on hold, pay
 * by …" would now be untrue; the kinds given up are counted `stale` once committed.
 * order.created takes the order's row first too (recordOrder), so a hold email queued
 * at the same moment is either given up here or not queued at all.
 */
export async function endOrder(
  trx: Kysely<NotificationsDatabase>,
  facts: Omit<OrderFacts, 'ended_at'>,
  context: HandlerContext,
): Promise<Omit<OrdersTable, 'id'>> {
  const order = await recordOrder(trx, { ...facts, ended_at: new Date() });
  countStaleAfterCommit(context, await giveUpOrderEmails(trx, facts.id));
  return order;
}

/** Gives up the order's unsent emails; returns their kinds. */
async function giveUpOrderEmails(
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
