import type { EventHandler } from '@gittix/common';
import type { TicketsDatabase } from '../db/schema.js';
import { releaseTicket } from '../release-ticket.js';

/** order.cancelled → the ticket is free again if that order held it. */
export const onOrderCancelled: EventHandler<TicketsDatabase, 'order.cancelled'> = (trx, event) =>
  releaseTicket(trx, { orderId: event.data.id, ticketId: event.data.ticket.id });
