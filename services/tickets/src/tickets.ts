import { type EventInput, fromCents, ticketStatuses } from '@gittix/common';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { TicketsDatabase } from './db/schema.js';

/** What a ticket shows of its event. */
export const eventSummarySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  venue: z.string(),
  city: z.string(),
  startsAt: z.iso.datetime(),
});

/** A ticket as the API shows it (price in dollars): the routes' schema, and the type from it. */
export const ticketSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  price: z.number().meta({ description: 'Dollars, at most 2 decimals' }),
  userId: z.uuid(),
  version: z.number().int(),
  orderId: z.uuid().nullable(),
  status: z.enum(ticketStatuses),
  eventId: z.uuid().nullable(),
  event: eventSummarySchema.nullable(),
  hasFile: z.boolean().meta({ description: 'Whether the seller has attached the ticket itself' }),
});
export type Ticket = z.output<typeof ticketSchema>;

type TicketsDb = Kysely<TicketsDatabase> | Transaction<TicketsDatabase>;

/** Tickets with their event's summary: every read of a ticket starts here. */
export function selectTickets(db: TicketsDb) {
  return db
    .selectFrom('tickets as t')
    .leftJoin('events as e', 'e.id', 't.event_id')
    .select([
      't.id',
      't.title',
      't.price_cents',
      't.user_id',
      't.version',
      't.order_id',
      't.status',
      't.event_id',
      't.event_starts_at',
      't.created_at',
      't.has_file',
      'e.name as event_name',
      'e.venue as event_venue',
      'e.city as event_city',
    ]);
}

export type TicketRow = Awaited<
  ReturnType<ReturnType<typeof selectTickets>['executeTakeFirstOrThrow']>
>;

export function toTicket(row: TicketRow): Ticket {
  const event =
    row.event_id && row.event_starts_at && row.event_name && row.event_venue && row.event_city
      ? {
          id: row.event_id,
          name: row.event_name,
          venue: row.event_venue,
          city: row.event_city,
          startsAt: row.event_starts_at.toISOString(),
        }
      : null;
  return {
    id: row.id,
    title: row.title,
    price: fromCents(row.price_cents),
    userId: row.user_id,
    version: row.version,
    orderId: row.order_id,
    status: row.status,
    eventId: row.event_id,
    event,
    hasFile: row.has_file,
  };
}

export function ticketCreatedData(ticket: Ticket): EventInput<'ticket.created'> {
  const { id, version, title, price, userId, status, eventId } = ticket;
  return { id, version, title, price, userId, status, eventId, eventStartsAt: startsAt(ticket) };
}

export function ticketUpdatedData(ticket: Ticket): EventInput<'ticket.updated'> {
  const { id, version, title, price, userId, orderId, status, eventId } = ticket;
  return {
    id,
    version,
    title,
    price,
    userId,
    orderId,
    status,
    eventId,
    eventStartsAt: startsAt(ticket),
  };
}

function startsAt(ticket: Ticket): string | null {
  return ticket.event?.startsAt ?? null;
}

export async function findTicket(db: TicketsDb, id: string): Promise<Ticket | undefined> {
  const row = await selectTickets(db).where('t.id', '=', id).executeTakeFirst();
  return row && toTicket(row);
}

/** A ticket known to exist (just written in this transaction). */
export async function readTicket(db: TicketsDb, id: string): Promise<Ticket> {
  return toTicket(await selectTickets(db).where('t.id', '=', id).executeTakeFirstOrThrow());
}
