import { enqueueEvent, toCents } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { type Ticket, ticketColumns, ticketCreatedData, toTicket } from './tickets.js';

export interface TicketInput {
  title: string;
  /** Dollars, already validated (priceSchema). */
  price: number;
}

/** Lists a ticket for sale and announces it (ticket.created) in the same transaction. */
export async function createTicket(
  db: Kysely<TicketsDatabase>,
  sellerId: string,
  input: TicketInput,
): Promise<Ticket> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('tickets')
      .values({ title: input.title, price_cents: toCents(input.price), user_id: sellerId })
      .returning(ticketColumns)
      .executeTakeFirstOrThrow();
    const ticket = toTicket(row);
    await enqueueEvent(trx, 'ticket.created', ticketCreatedData(ticket));
    return ticket;
  });
}
