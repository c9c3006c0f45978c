import { enqueueEvent, type refusalReasons } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { priceChangedAround } from './stale-price.js';
import { type LockedTicket, lockTicket, setTicketHolder } from './ticket-holder.js';

type RefusalReason = (typeof refusalReasons)[number];

export interface OrderPlaced {
  orderId: string;
  ticketId: string;
  expiresAt: string;
  /** The price the order captured (dollars); a ticket priced otherwise now is refused. */
  price: number;
}

/**
 * order.created: the ticket now belongs to this order.
 *
 * order.created and order.cancelled come through separate durable consumers,
 * at least once, so events of different orders for one ticket interleave and a
 * retry can arrive long after newer events. Every order seen is recorded in
 * orders_seen, and the outcome depends only on that record, never on arrival
 * order:
 * - an order already recorded cancelled never takes the ticket (its cancel won
 *   the race; the created is stale);
 * - an order does not take the ticket from a live (not cancelled) holder whose
 *   expiresAt is later: that holder is the newer order, this created is late;
 * - otherwise it takes the ticket.
 * Releasing (release-ticket.ts) hands the ticket to the newest live order seen,
 * so even expiresAt ties or a changed expiration period converge.
 * The ticket row lock, taken first, serialises both consumers per ticket.
 *
 * An order the orders service accepted from a stale replica (the ticket was
 * withdrawn, sold or its event started meanwhile), or priced at a price the ticket
 * no longer has (stale-price.ts), is refused: recorded
 * cancelled here, and ticket.refused tells orders to cancel it. That is how a
 * withdraw racing an order ends with exactly one winner.
 */
export async function reserveTicket(
  trx: Transaction<TicketsDatabase>,
  order: OrderPlaced,
): Promise<void> {
  const ticket = await lockTicket(trx, order.ticketId);
  // Thrown, so the event is retried and finally dead-lettered rather than lost.
  if (!ticket) throw new Error(`Ticket ${order.ticketId} of order ${order.orderId} is unknown`);

  const refusal =
    refusalOf(ticket, order.orderId) ??
    // The seller changed the price around the order: see stale-price.ts.
    (priceChangedAround(ticket, order) ? 'changed' : undefined);
  if (refusal) {
    await trx
      .insertInto('orders_seen')
      .values({
        order_id: order.orderId,
        ticket_id: order.ticketId,
        expires_at: new Date(order.expiresAt),
        cancelled: true,
      })
      .onConflict((oc) => oc.column('order_id').doUpdateSet({ cancelled: true }))
      .execute();
    await enqueueEvent(trx, 'ticket.refused', {
      ticketId: order.ticketId,
      orderId: order.orderId,
      reason: refusal,
    });
    return;
  }

  const seen = await trx
    .insertInto('orders_seen')
    .values({
      order_id: order.orderId,
      ticket_id: order.ticketId,
      expires_at: new Date(order.expiresAt),
      cancelled: false,
    })
    .onConflict((oc) =>
      oc.column('order_id').doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })),
    )
    .returning('cancelled')
    .executeTakeFirstOrThrow();
  if (seen.cancelled || ticket.orderId === order.orderId) return;

  if (ticket.orderId !== null) {
    const holder = await trx
      .selectFrom('orders_seen')
      .select(['expires_at', 'cancelled'])
      .where('order_id', '=', ticket.orderId)
      .executeTakeFirst();
    const holderIsNewer =
      holder !== undefined &&
      !holder.cancelled &&
      holder.expires_at !== null &&
      holder.expires_at.getTime() > new Date(order.expiresAt).getTime();
    if (holderIsNewer) return;
  }
  await setTicketHolder(trx, ticket, order.orderId);
}

/** Why this ticket cannot go to the order, if it cannot. */
function refusalOf(ticket: LockedTicket, orderId: string): RefusalReason | undefined {
  if (ticket.status === 'withdrawn') return 'withdrawn';
  if (ticket.status === 'sold') return ticket.orderId === orderId ? undefined : 'sold';
  if (ticket.eventStartsAt && ticket.eventStartsAt.getTime() <= Date.now()) {
    return ticket.orderId === orderId ? undefined : 'event_started';
  }
  return undefined;
}
