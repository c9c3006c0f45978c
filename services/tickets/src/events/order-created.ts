import { handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from '../db/schema.js';
import { reserveTicket } from '../reserve-ticket.js';

/** order.created → the ticket is reserved by the order (ticket.updated with its orderId). */
export function onOrderCreated(db: Kysely<TicketsDatabase>) {
  return handleOnce<TicketsDatabase, 'order.created'>(
    db,
    'tickets_order_created',
    async (trx, event) =>
      reserveTicket(trx, {
        orderId: event.data.id,
        ticketId: event.data.ticket.id,
        expiresAt: event.data.expiresAt,
      }),
  );
}
