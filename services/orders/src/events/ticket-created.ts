import type { EventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { applyTicket } from '../ticket-replica.js';

/** ticket.created → the ticket joins the replica (unless a newer update got there first). */
export const onTicketCreated: EventHandler<OrdersDatabase, 'ticket.created'> = async (
  trx,
  event,
) => {
  await applyTicket(trx, { ...event.data, orderId: null });
};
