import type { EventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { applyTicket } from '../ticket-replica.js';

/** ticket.updated → the replica takes the new state if its version is newer. */
export const onTicketUpdated: EventHandler<OrdersDatabase, 'ticket.updated'> = async (
  trx,
  event,
) => {
  await applyTicket(trx, event.data);
};
