import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  fromCents,
  OUTBOX_CHANNEL,
  outboxRowValues,
  type TicketStatus,
} from '@gittix/common';
import { sql, type Transaction } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';

export interface LockedTicket {
  id: string;
  orderId: string | null;
  status: TicketStatus;
  userId: string;
  eventStartsAt: Date | null;
  /** The price now, for the stale-price rule (stale-price.ts). */
  priceCents: number;
  /** What ticket.updated repeats of the row (changeTicketState). */
  version: number;
  title: string;
  eventId: string | null;
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
    .select([
      'id',
      'order_id',
      'status',
      'user_id',
      'event_starts_at',
      'price_cents',
      'version',
      'title',
      'event_id',
    ])
    .where('id', '=', ticketId)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      orderId: row.order_id,
      status: row.status,
      userId: row.user_id,
      eventStartsAt: row.event_starts_at,
      priceCents: row.price_cents,
      version: row.version,
      title: row.title,
      eventId: row.event_id,
    }
  );
}

/**
 * Changes a ticket locked by lockTicket (its holder and status): one version, one
 * ticket.updated, in one statement. The event is made from the locked row, which
 * nothing else can change before this transaction ends; the UPDATE is conditional
 * on the version read, so a caller that did not lock the row fails loudly instead
 * of announcing a version the row does not have.
 */
export async function changeTicketState(
  trx: Transaction<TicketsDatabase>,
  ticket: LockedTicket,
  state: { orderId: string | null; status: TicketStatus },
): Promise<void> {
  const envelope = createEnvelope(
    'ticket.updated',
    {
      id: ticket.id,
      version: ticket.version + 1,
      title: ticket.title,
      price: fromCents(ticket.priceCents),
      userId: ticket.userId,
      orderId: state.orderId,
      status: state.status,
      eventId: ticket.eventId,
      // The ticket's copy of its event's start (events never move).
      eventStartsAt: ticket.eventId ? (ticket.eventStartsAt?.toISOString() ?? null) : null,
    },
    randomUUID(),
  );
  const [eventId, subject, body, traceContext] = outboxRowValues(envelope);
  const { rows } = await sql<{ changed: number }>`
    WITH changed AS (
      UPDATE tickets SET order_id = ${state.orderId}::uuid, status = ${state.status}::text,
        version = version + 1
      WHERE id = ${ticket.id}::uuid AND version = ${ticket.version}::integer
      RETURNING 1
    ), queued AS (
      INSERT INTO outbox (id, subject, envelope, trace_context)
      SELECT ${eventId}::uuid, ${subject}::text, ${body}::jsonb, ${traceContext}::jsonb FROM changed
      RETURNING 1
    )
    SELECT
      (SELECT count(*) FROM changed)::integer AS changed,
      (SELECT pg_notify(${OUTBOX_CHANNEL}, '') IS NULL FROM queued) AS notified`.execute(trx);
  if (rows[0]?.changed !== 1) {
    throw new Error(`Ticket ${ticket.id} changed since it was locked (version ${ticket.version})`);
  }
}

/** Hands the (locked) ticket to an order (reserved), or frees it (available). */
export async function setTicketHolder(
  trx: Transaction<TicketsDatabase>,
  ticket: LockedTicket,
  orderId: string | null,
): Promise<void> {
  await changeTicketState(trx, ticket, {
    orderId,
    status: orderId === null ? 'available' : 'reserved',
  });
}
