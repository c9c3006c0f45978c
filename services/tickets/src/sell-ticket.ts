import type { Logger } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { changeTicketState, lockTicket } from './ticket-holder.js';

export interface OrderCompleted {
  orderId: string;
  ticketId: string;
}

/**
 * order.completed: the order was paid, so its ticket is sold to it for good
 * (order.completed may overtake the order's own order.created; the created
 * then finds the ticket sold to its order and changes nothing). A paid order
 * is honoured even if tickets had let the seller withdraw meanwhile (payment
 * landed before the refusal reached orders): the sale is real, and logged.
 */
export async function sellTicket(
  trx: Transaction<TicketsDatabase>,
  order: OrderCompleted,
  logger: Logger,
): Promise<void> {
  const ticket = await lockTicket(trx, order.ticketId);
  // Thrown, so the event is retried and finally dead-lettered rather than lost.
  if (!ticket) throw new Error(`Ticket ${order.ticketId} of order ${order.orderId} is unknown`);
  if (ticket.status === 'sold') {
    if (ticket.orderId !== order.orderId) {
      logger.error(
        { ...order, soldTo: ticket.orderId },
        'a second order completed for a sold ticket',
      );
    }
    return;
  }
  if (ticket.status === 'withdrawn' || (ticket.orderId && ticket.orderId !== order.orderId)) {
    logger.warn({ ...order, was: ticket }, 'a paid order takes a ticket tickets had not given it');
  }
  await changeTicketState(trx, ticket, { orderId: order.orderId, status: 'sold' });
}
