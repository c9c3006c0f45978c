import { enqueueEvent, fromCents, type TicketStatus } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';

export interface LockedTicket {
  orderId: string | null;
  status: TicketStatus;
  userId: string;
  eventStartsAt: Date | null;
  /** The price now, for the stale-price rule (stale-price.ts). */
  priceCents: number;
}

/**
 * A ticket's holder and state, read under a row lock so that every change to
 * one ticket (edit, withdraw, reserve, release, sale) queues up behind the others.
 */
export async function lockTicket(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
): Promise<LockedTicket | undefined> {
  const row = await trx
    .selectFrom('tickets')
    .select(['order_id', 'status', 'user_id', 'event_starts_at', 'price_cents'])
    .where('id', '=', ticketId)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      orderId: row.order_id,
      status: row.status,
      userId: row.user_id,
      eventStartsAt: row.event_starts_at,
      priceCents: row.price_cents,
    }
  );
}

/**
 * Changes a (locked) ticket's holder and status: one version, one ticket.updated.
 * The event is made from the UPDATE's own RETURNING: its event start is the
 * ticket's copy (a ticket keeps its event's start, and event_id references an
 * event), so no second read with the events join.
 */
export async function changeTicketState(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
  state: { orderId: string | null; status: TicketStatus },
): Promise<void> {
  const row = await trx
    .updateTable('tickets')
    .set((eb) => ({
      order_id: state.orderId,
      status: state.status,
      version: eb('version', '+', 1),
    }))
    .where('id', '=', ticketId)
    .returning([
      'id',
      'version',
      'title',
      'price_cents',
      'user_id',
      'order_id',
      'status',
      'event_id',
      'event_starts_at',
    ])
    .executeTakeFirstOrThrow();
  await enqueueEvent(trx, 'ticket.updated', {
    id: row.id,
    version: row.version,
    title: row.title,
    price: fromCents(row.price_cents),
    userId: row.user_id,
    orderId: row.order_id,
    status: row.status,
    eventId: row.event_id,
    eventStartsAt: row.event_id ? (row.event_starts_at?.toISOString() ?? null) : null,
  });
}

/** Hands the (locked) ticket to an order (reserved), or frees it (available). */
export async function setTicketHolder(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
  orderId: string | null,
): Promise<void> {
  await changeTicketState(trx, ticketId, {
    orderId,
    status: orderId === null ? 'available' : 'reserved',
  });
}
