import { enqueueEvent, type TicketStatus } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { readTicket, type Ticket, ticketUpdatedData } from './tickets.js';

export interface LockedTicket {
  orderId: string | null;
  status: TicketStatus;
  userId: string;
  eventStartsAt: Date | null;
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
    .select(['order_id', 'status', 'user_id', 'event_starts_at'])
    .where('id', '=', ticketId)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      orderId: row.order_id,
      status: row.status,
      userId: row.user_id,
      eventStartsAt: row.event_starts_at,
    }
  );
}

/** Changes a (locked) ticket's holder and status: one version, one ticket.updated. */
export async function changeTicketState(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
  state: { orderId: string | null; status: TicketStatus },
): Promise<Ticket> {
  await trx
    .updateTable('tickets')
    .set((eb) => ({
      order_id: state.orderId,
      status: state.status,
      version: eb('version', '+', 1),
    }))
    .where('id', '=', ticketId)
    .execute();
  const ticket = await readTicket(trx, ticketId);
  await enqueueEvent(trx, 'ticket.updated', ticketUpdatedData(ticket));
  return ticket;
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
