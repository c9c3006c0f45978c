import { enqueueEvent } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { ticketColumns, ticketUpdatedData, toTicket } from './tickets.js';

/** Which order holds a ticket, read under a row lock so holder changes queue up. */
export async function lockTicketHolder(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
): Promise<{ orderId: string | null } | undefined> {
  const row = await trx
    .selectFrom('tickets')
    .select('order_id')
    .where('id', '=', ticketId)
    .forUpdate()
    .executeTakeFirst();
  return row && { orderId: row.order_id };
}

/** Hands the (locked) ticket to an order, or frees it: one version, one ticket.updated. */
export async function setTicketHolder(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
  orderId: string | null,
): Promise<void> {
  const row = await trx
    .updateTable('tickets')
    .set((eb) => ({ order_id: orderId, version: eb('version', '+', 1) }))
    .where('id', '=', ticketId)
    .returning(ticketColumns)
    .executeTakeFirstOrThrow();
  await enqueueEvent(trx, 'ticket.updated', ticketUpdatedData(toTicket(row)));
}

/**
 * The order that should hold a ticket once `leaving` no longer does: the newest
 * order seen for it that is not cancelled, if any. Normally none (the orders
 * service allows one live order per ticket); see reserve-ticket.ts for when
 * there is one.
 */
export async function nextTicketHolder(
  trx: Transaction<TicketsDatabase>,
  ticketId: string,
  leaving: string,
): Promise<string | null> {
  const row = await trx
    .selectFrom('orders_seen')
    .select('order_id')
    .where('ticket_id', '=', ticketId)
    .where('cancelled', '=', false)
    .where('order_id', '!=', leaving)
    .where('expires_at', 'is not', null)
    .orderBy('expires_at', 'desc')
    .orderBy('order_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.order_id ?? null;
}
