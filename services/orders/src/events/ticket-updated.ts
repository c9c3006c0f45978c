import type { BatchEventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { applyTickets } from '../ticket-replica.js';

/**
 * ticket.updated → the replica takes each new state if its version is newer.
 * Handled in batches (subscribeBatch): a burst of reservations or releases
 * (a sale, an expiry) lands in one statement and one commit.
 */
export const onTicketUpdated: BatchEventHandler<OrdersDatabase, 'ticket.updated'> = async (
  trx,
  events,
) => {
  await applyTickets(
    trx,
    events.map((event) => event.data),
  );
};
