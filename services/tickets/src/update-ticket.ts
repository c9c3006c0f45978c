import {
  BadRequestError,
  enqueueEvent,
  ForbiddenError,
  NotFoundError,
  toCents,
} from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketInput } from './create-ticket.js';
import type { TicketsDatabase } from './db/schema.js';
import { type Ticket, ticketColumns, ticketUpdatedData, toTicket } from './tickets.js';

/**
 * The seller edits title and price. The row is locked first, so parallel edits
 * and a reservation arriving meanwhile queue up instead of losing an update,
 * and the reserved check sees the latest state.
 */
export async function updateTicket(
  db: Kysely<TicketsDatabase>,
  editorId: string,
  ticketId: string,
  input: TicketInput,
): Promise<Ticket> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('tickets')
      .select(['user_id', 'order_id'])
      .where('id', '=', ticketId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new NotFoundError('Ticket not found');
    if (current.user_id !== editorId) throw new ForbiddenError('Only the seller can edit a ticket');
    if (current.order_id !== null) throw new BadRequestError('Cannot edit a reserved ticket');

    const row = await trx
      .updateTable('tickets')
      .set((eb) => ({
        title: input.title,
        price_cents: toCents(input.price),
        version: eb('version', '+', 1),
      }))
      .where('id', '=', ticketId)
      .returning(ticketColumns)
      .executeTakeFirstOrThrow();
    const ticket = toTicket(row);
    await enqueueEvent(trx, 'ticket.updated', ticketUpdatedData(ticket));
    return ticket;
  });
}
