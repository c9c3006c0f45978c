import {
  BadRequestError,
  enqueueEvent,
  ForbiddenError,
  NotFoundError,
  toCents,
} from '@gittix/common';
import type { Kysely, Transaction } from 'kysely';
import type { TicketInput } from './create-ticket.js';
import type { TicketsDatabase } from './db/schema.js';
import { type LockedTicket, lockTicket } from './ticket-holder.js';
import { readTicket, type Ticket, ticketUpdatedData } from './tickets.js';

/** The ticket, locked, if `userId` is its seller; 404 or 403 otherwise. */
export async function lockSellersTicket(
  trx: Transaction<TicketsDatabase>,
  userId: string,
  ticketId: string,
  action: string,
): Promise<LockedTicket> {
  const ticket = await lockTicket(trx, ticketId);
  if (!ticket) throw new NotFoundError('Ticket not found');
  if (ticket.userId !== userId) throw new ForbiddenError(`Only the seller can ${action} a ticket`);
  return ticket;
}

/**
 * The seller edits title and price. The row is locked first, so parallel edits
 * and a reservation arriving meanwhile queue up instead of losing an update,
 * and the status check sees the latest state.
 */
export async function updateTicket(
  db: Kysely<TicketsDatabase>,
  editorId: string,
  ticketId: string,
  input: TicketInput,
): Promise<Ticket> {
  return db.transaction().execute(async (trx) => {
    const current = await lockSellersTicket(trx, editorId, ticketId, 'edit');
    if (current.status !== 'available') {
      throw new BadRequestError(`Cannot edit a ${current.status} ticket`);
    }
    await trx
      .updateTable('tickets')
      .set((eb) => ({
        title: input.title,
        price_cents: toCents(input.price),
        version: eb('version', '+', 1),
      }))
      .where('id', '=', ticketId)
      .execute();
    const ticket = await readTicket(trx, ticketId);
    await enqueueEvent(trx, 'ticket.updated', ticketUpdatedData(ticket));
    return ticket;
  });
}
