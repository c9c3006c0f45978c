import { type TicketStatus, toCents } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';

export interface TicketState {
  id: string;
  version: number;
  title: string;
  price: number;
  userId: string;
  orderId: string | null;
  /** Absent on ticket.updated events from before statuses: derived from orderId. */
  status?: TicketStatus | undefined;
  eventId?: string | null | undefined;
  eventStartsAt?: string | null | undefined;
}

/**
 * Applies a ticket's state to the replica only if it is newer than the one held,
 * so duplicates and events arriving out of order (an update before the create,
 * an old version after a new one) all converge on the newest state.
 */
export async function applyTicket(
  trx: Transaction<OrdersDatabase>,
  ticket: TicketState,
): Promise<boolean> {
  const applied = await trx
    .insertInto('tickets')
    .values({
      id: ticket.id,
      title: ticket.title,
      price_cents: toCents(ticket.price),
      user_id: ticket.userId,
      version: ticket.version,
      order_id: ticket.orderId,
      status: ticket.status ?? (ticket.orderId === null ? 'available' : 'reserved'),
      event_id: ticket.eventId ?? null,
      event_starts_at: ticket.eventStartsAt ? new Date(ticket.eventStartsAt) : null,
    })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          price_cents: eb.ref('excluded.price_cents'),
          user_id: eb.ref('excluded.user_id'),
          version: eb.ref('excluded.version'),
          order_id: eb.ref('excluded.order_id'),
          status: eb.ref('excluded.status'),
          event_id: eb.ref('excluded.event_id'),
          event_starts_at: eb.ref('excluded.event_starts_at'),
        }))
        .where('tickets.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .returning('id')
    .executeTakeFirst();
  return applied !== undefined;
}
