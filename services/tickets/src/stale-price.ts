import { toCents } from '@gittix/common';
import type { LockedTicket } from './ticket-holder.js';

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
 * Judged on the ticket as lockTicket read it under its row lock, so an edit cannot
 * slip in between this check and the reservation. An order already holding the
 * ticket is never refused.
 */
export function priceChangedAround(
  ticket: Pick<LockedTicket, 'orderId' | 'priceCents'>,
  order: { orderId: string; price: number },
): boolean {
  if (ticket.orderId === order.orderId) return false;
  return ticket.priceCents !== toCents(order.price);
}
