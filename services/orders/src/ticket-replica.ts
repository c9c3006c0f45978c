import { newestById, type TicketStatus, toCents } from '@gittix/common';
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
 * Applies tickets' states to the replica, each only if it is newer than the one
 * held, so duplicates and events arriving out of order (an update before the
 * create, an old version after a new one) all converge on the newest state. One
 * statement for a batch: of several states of one ticket only the newest is
 * offered (ON CONFLICT may not touch a row twice), and rows go in id order, so
 * two batches lock them in the same order. Returns how many rows changed.
 */
export async function applyTickets(
  trx: Transaction<OrdersDatabase>,
  tickets: TicketState[],
): Promise<number> {
  const newest = newestById(tickets);
  if (newest.length === 0) return 0;
  const rows = newest.map((ticket) => ({
    id: ticket.id,
    title: ticket.title,
    price_cents: toCents(ticket.price),
    user_id: ticket.userId,
    version: ticket.version,
    order_id: ticket.orderId,
    status: ticket.status ?? (ticket.orderId === null ? 'available' : 'reserved'),
    event_id: ticket.eventId ?? null,
    event_starts_at: ticket.eventStartsAt ? new Date(ticket.eventStartsAt) : null,
  }));
  const applied = await trx
    .insertInto('tickets')
    .values(rows)
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
    .execute();
  return applied.length;
}

/** applyTickets for one ticket: whether the replica took it. */
export async function applyTicket(
  trx: Transaction<OrdersDatabase>,
  ticket: TicketState,
): Promise<boolean> {
  return (await applyTickets(trx, [ticket])) === 1;
}
