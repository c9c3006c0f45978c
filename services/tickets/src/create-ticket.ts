import { BadRequestError, enqueueEvent, toCents } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { readTicket, type Ticket, ticketCreatedData } from './tickets.js';

export interface TicketInput {
  title: string;
  /** Dollars, already validated (priceSchema). */
  price: number;
}

export interface NewTicketInput extends TicketInput {
  /** The event the ticket is for; absent or null for a listing without one. */
  eventId?: string | null | undefined;
}

/** Lists a ticket for sale and announces it (ticket.created) in the same transaction. */
export async function createTicket(
  db: Kysely<TicketsDatabase>,
  sellerId: string,
  input: NewTicketInput,
): Promise<Ticket> {
  return db.transaction().execute(async (trx) => {
    let eventStartsAt: Date | null = null;
    if (input.eventId) {
      const event = await trx
        .selectFrom('events')
        .select('starts_at')
        .where('id', '=', input.eventId)
        .executeTakeFirst();
      if (!event) throw new BadRequestError('Unknown event', 'eventId');
      if (event.starts_at.getTime() <= Date.now()) {
        throw new BadRequestError('The event has started', 'eventId');
      }
      eventStartsAt = event.starts_at;
    }
    const { id } = await trx
      .insertInto('tickets')
      .values({
        title: input.title,
        price_cents: toCents(input.price),
        user_id: sellerId,
        event_id: input.eventId ?? null,
        event_starts_at: eventStartsAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ticket = await readTicket(trx, id);
    await enqueueEvent(trx, 'ticket.created', ticketCreatedData(ticket));
    return ticket;
  });
}
