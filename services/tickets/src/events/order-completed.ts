import type { EventHandler } from '@gittix/common';
import type { TicketsDatabase } from '../db/schema.js';
import { sellTicket } from '../sell-ticket.js';

/**
 * order.completed → the ticket is sold to that order (status `sold`,
 * ticket.updated), and its buyer recorded (ticket_purchases): they may download
 * the ticket's file and find it under /api/tickets/purchased. A second order
 * completing for a sold ticket changes neither: the first sale stands.
 */
export const onOrderCompleted: EventHandler<TicketsDatabase, 'order.completed'> = async (
  trx,
  event,
  { logger },
) => {
  await sellTicket(trx, { orderId: event.data.id, ticketId: event.data.ticket.id }, logger);
  await trx
    .insertInto('ticket_purchases')
    .values({
      ticket_id: event.data.ticket.id,
      order_id: event.data.id,
      buyer_id: event.data.userId,
    })
    .onConflict((oc) => oc.column('ticket_id').doNothing())
    .execute();
};
