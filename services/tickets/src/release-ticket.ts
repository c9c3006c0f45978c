import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { lockTicket, nextTicketHolder, setTicketHolder } from './ticket-holder.js';

export interface OrderCancelled {
  orderId: string;
  ticketId: string;
}

/**
 * order.cancelled: the order lets go of its ticket. The cancel is recorded first
 * (a created of this order arriving later must not reserve), and the ticket
 * changes only if this order holds it: a cancel of an order that already lost
 * the ticket to a newer one changes nothing. The ticket goes to the newest live
 * order seen, normally none; see reserve-ticket.ts.
 */
export async function releaseTicket(
  trx: Transaction<TicketsDatabase>,
  order: OrderCancelled,
): Promise<void> {
  const ticket = await lockTicket(trx, order.ticketId);
  await trx
    .insertInto('orders_seen')
    .values({ order_id: order.orderId, ticket_id: order.ticketId, cancelled: true })
    .onConflict((oc) => oc.column('order_id').doUpdateSet({ cancelled: true }))
    .execute();
  // A sold ticket keeps its buyer: only a reservation is released.
  if (ticket?.status !== 'reserved' || ticket.orderId !== order.orderId) return;
  const next = await nextTicketHolder(trx, order.ticketId, order.orderId);
  await setTicketHolder(trx, order.ticketId, next);
}
