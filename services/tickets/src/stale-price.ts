import { toCents } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';

/**
 * The stale-price rule: an order captures the listing's price at the moment it is
 * placed, and the sale completes at that price or not at all. The orders service
 * prices an order from its replica, which may not yet have a seller's edit; the
 * seller can edit until this service learns of the order (a reserved ticket cannot
 * be edited). So when order.created reaches a ticket whose price is not the one the
 * order captured, the listing changed around the order: reserveTicket refuses it
 * (`changed`: recorded cancelled here, ticket.refused tells orders to cancel it).
 * The buyer may order again at the new price.
 *
 * Read under the ticket's row lock (lockTicket, taken first), so an edit cannot slip
 * in between this check and the reservation. An order already holding the ticket is
 * never refused.
 */
export async function priceChangedAround(
  trx: Transaction<TicketsDatabase>,
  order: { orderId: string; ticketId: string; price: number },
): Promise<boolean> {
  const ticket = await trx
    .selectFrom('tickets')
    .select(['price_cents', 'order_id'])
    .where('id', '=', order.ticketId)
    .executeTakeFirst();
  if (!ticket || ticket.order_id === order.orderId) return false;
  return ticket.price_cents !== toCents(order.price);
}
