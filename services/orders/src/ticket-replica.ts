import { newestById, type TicketStatus, toCents } from '@gittix/common';
import { sql, type Transaction } from 'kysely';
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
 *
 * The states travel as one JSON array (jsonb_to_recordset), so the statement has
 * one parameter whatever the batch's size: building a VALUES row of nine per ticket
 * was half of this process's CPU per state (bench/bottlenecks.md §21), as the
 * outbox's four per event were for its INSERT (§20).
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
    event_starts_at: ticket.eventStartsAt ?? null,
  }));
  const { rows: applied } = await sql<{ id: string }>`
    INSERT INTO tickets
      (id, title, price_cents, user_id, version, order_id, status, event_id, event_starts_at)
    SELECT id, title, price_cents, user_id, version, order_id, status, event_id, event_starts_at
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS state(
      id uuid, title text, price_cents integer, user_id uuid, version integer,
      order_id uuid, status text, event_id uuid, event_starts_at timestamptz)
    ORDER BY id
    ON CONFLICT (id) DO UPDATE SET
      title = excluded.title, price_cents = excluded.price_cents,
      user_id = excluded.user_id, version = excluded.version,
      order_id = excluded.order_id, status = excluded.status,
      event_id = excluded.event_id, event_starts_at = excluded.event_starts_at
    WHERE tickets.version < excluded.version
    RETURNING id`.execute(trx);
  return applied.length;
}

/** applyTickets for one ticket: whether the replica took it. */
export async function applyTicket(
  trx: Transaction<OrdersDatabase>,
  ticket: TicketState,
): Promise<boolean> {
  return (await applyTickets(trx, [ticket])) === 1;
}
