import { type EventInput, fromCents } from '@gittix/common';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { TicketsDatabase, TicketsTable } from './db/schema.js';

/** A ticket as the API shows it (price in dollars): the routes' schema, and the type from it. */
export const ticketSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  price: z.number().meta({ description: 'Dollars, at most 2 decimals' }),
  userId: z.uuid(),
  version: z.number().int(),
  orderId: z.uuid().nullable(),
});
export type Ticket = z.output<typeof ticketSchema>;

export type TicketRow = Selectable<TicketsTable>;

export const ticketColumns = [
  'id',
  'title',
  'price_cents',
  'user_id',
  'version',
  'order_id',
  'created_at',
] as const;

export function toTicket(row: TicketRow): Ticket {
  return {
    id: row.id,
    title: row.title,
    price: fromCents(row.price_cents),
    userId: row.user_id,
    version: row.version,
    orderId: row.order_id,
  };
}

export function ticketCreatedData(ticket: Ticket): EventInput<'ticket.created'> {
  const { id, version, title, price, userId } = ticket;
  return { id, version, title, price, userId };
}

export function ticketUpdatedData(ticket: Ticket): EventInput<'ticket.updated'> {
  const { id, version, title, price, userId, orderId } = ticket;
  return { id, version, title, price, userId, orderId };
}

export async function findTicket(
  db: Kysely<TicketsDatabase>,
  id: string,
): Promise<Ticket | undefined> {
  const row = await db
    .selectFrom('tickets')
    .select(ticketColumns)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toTicket(row);
}
