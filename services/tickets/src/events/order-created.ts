import type { EventHandler } from '@gittix/common';
import type { TicketsDatabase } from '../db/schema.js';
import { reserveTicket } from '../reserve-ticket.js';

/** order.created → the ticket is reserved by the order (ticket.updated with its orderId). */
export const onOrderCreated: EventHandler<TicketsDatabase, 'order.created'> = (trx, event) =>
  reserveTicket(trx, {
    orderId: event.data.id,
    ticketId: event.data.ticket.id,
    expiresAt: event.data.expiresAt,
    price: event.data.ticket.price,
  });
