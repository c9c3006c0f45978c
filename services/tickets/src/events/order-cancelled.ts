import { handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from '../db/schema.js';
import { releaseTicket } from '../release-ticket.js';

/** order.cancelled → the ticket is free again if that order held it. */
export function onOrderCancelled(db: Kysely<TicketsDatabase>) {
  return handleOnce<TicketsDatabase, 'order.cancelled'>(
    db,
    'tickets_order_cancelled',
    async (trx, event) =>
      releaseTicket(trx, { orderId: event.data.id, ticketId: event.data.ticket.id }),
  );
}
