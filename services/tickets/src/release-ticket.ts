import { type EventEnvelope, type EventInput, enqueueEnvelopes } from '@gittix/common';
import { sql, type Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { selectTickets, ticketUpdatedData, toTicket } from './tickets.js';

export interface OrderCancelled {
  orderId: string;
  ticketId: string;
}

/**
 * order.cancelled for a burst of orders in one transaction: each order lets go of
 * its ticket. The cancels are recorded first (a created of such an order arriving
 * later must not reserve), and a ticket changes only if one of these orders holds
 * it: a cancel of an order that already lost the ticket to a newer one changes
 * nothing. A released ticket goes to the newest live order seen, normally none
 * (see reserve-ticket.ts), with one version and one ticket.updated, made by
 * `envelopeOf` with the order that released it (which sets its cause).
 *
 * Tickets are locked in id order, so two batches (or a batch and a reservation,
 * which locks one ticket) cannot deadlock. Returns the ids of the tickets released.
 */
export async function releaseTickets(
  trx: Transaction<TicketsDatabase>,
  orders: OrderCancelled[],
  envelopeOf: (ticket: EventInput<'ticket.updated'>, releasedBy: string) => EventEnvelope,
): Promise<string[]> {
  // One row per order: ON CONFLICT may not touch a row twice in one statement.
  const byOrder = new Map(orders.map((order) => [order.orderId, order]));
  if (byOrder.size === 0) return [];
  const cancels = [...byOrder.values()];
  const ticketIds = [...new Set(cancels.map((order) => order.ticketId))].sort();
  const locked = await trx
    .selectFrom('tickets')
    .select(['id', 'order_id', 'status'])
    .where('id', '=', sql<string>`ANY(${ticketIds}::uuid[])`)
    .orderBy('id')
    .forUpdate()
    .execute();
  await sql`
    INSERT INTO orders_seen (order_id, ticket_id, cancelled)
    SELECT order_id, ticket_id, true
    FROM unnest(${cancels.map((o) => o.orderId)}::uuid[], ${cancels.map((o) => o.ticketId)}::uuid[])
      AS c(order_id, ticket_id)
    ORDER BY order_id
    ON CONFLICT (order_id) DO UPDATE SET cancelled = true`.execute(trx);

  // A sold ticket keeps its buyer: only a reservation by one of these orders is released.
  const releasedBy = new Map<string, string>();
  for (const ticket of locked) {
    const holder = ticket.order_id === null ? undefined : byOrder.get(ticket.order_id);
    if (ticket.status === 'reserved' && holder?.ticketId === ticket.id) {
      releasedBy.set(ticket.id, holder.orderId);
    }
  }
  if (releasedBy.size === 0) return [];
  const released = [...releasedBy.keys()];
  // The next holder: the newest order seen for the ticket that is not cancelled.
  await sql`
    UPDATE tickets AS t
    SET order_id = n.next_order,
        status = CASE WHEN n.next_order IS NULL THEN 'available' ELSE 'reserved' END,
        version = t.version + 1
    FROM (
      SELECT r.id, (
        SELECT s.order_id FROM orders_seen AS s
        WHERE s.ticket_id = r.id AND NOT s.cancelled AND s.expires_at IS NOT NULL
        ORDER BY s.expires_at DESC, s.order_id DESC
        LIMIT 1
      ) AS next_order
      FROM unnest(${released}::uuid[]) AS r(id)
    ) AS n
    WHERE t.id = n.id`.execute(trx);
  const rows = await selectTickets(trx)
    .where('t.id', '=', sql<string>`ANY(${released}::uuid[])`)
    .orderBy('t.id')
    .execute();
  await enqueueEnvelopes(
    trx,
    rows.map((row) => envelopeOf(ticketUpdatedData(toTicket(row)), releasedBy.get(row.id)!)),
  );
  return released;
}
