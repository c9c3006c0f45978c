import type { BatchEventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { applyTickets } from '../ticket-replica.js';

/**
 * ticket.created → the tickets join the replica (unless a newer update got there
 * first). Handled in batches (subscribeBatch): one alone is applied at once.
 */
export const onTicketCreated: BatchEventHandler<OrdersDatabase, 'ticket.created'> = async (
  trx,
  events,
) => {
  await applyTickets(
    trx,
    events.map((event) => ({ ...event.data, orderId: null })),
  );
};
