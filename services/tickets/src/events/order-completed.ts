import type { EventHandler } from '@gittix/common';
import type { TicketsDatabase } from '../db/schema.js';
import { sellTicket } from '../sell-ticket.js';

/** order.completed → the ticket is sold to that order (status `sold`, ticket.updated). */
export const onOrderCompleted: EventHandler<TicketsDatabase, 'order.completed'> = (
  trx,
  event,
  { logger },
) => sellTicket(trx, { orderId: event.data.id, ticketId: event.data.ticket.id }, logger);
