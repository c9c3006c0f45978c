import { type EventEnvelope, handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { OrdersDatabase } from '../db/schema.js';
import { applyTicket } from '../ticket-replica.js';

/** A ticket changed: the replica takes the new state if its version is newer. */
export const ticketUpdated = (db: Kysely<OrdersDatabase>) =>
  handleOnce(db, 'orders_ticket.updated', async (trx, event: EventEnvelope<'ticket.updated'>) => {
    await applyTicket(trx, event.data);
  });
