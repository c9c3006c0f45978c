import { type EventEnvelope, handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { OrdersDatabase } from '../db/schema.js';
import { applyTicket } from '../ticket-replica.js';

/** A new ticket joins the replica (unless a newer update got there first). */
export const ticketCreated = (db: Kysely<OrdersDatabase>) =>
  handleOnce(db, 'orders_ticket.created', async (trx, event: EventEnvelope<'ticket.created'>) => {
    await applyTicket(trx, { ...event.data, orderId: null });
  });
