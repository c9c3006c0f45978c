import { randomUUID } from 'node:crypto';
import {
  BadRequestError,
  createEnvelope,
  fromCents,
  NOTIFY_WHEN_QUEUED_SQL,
  outboxRowValues,
  preparedStatement,
  queuedOutboxRowSql,
  runStatement,
  runTransaction,
  toCents,
} from '@gittix/common';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { TicketsDatabase } from './db/schema.js';
import { type Ticket, ticketCreatedData } from './tickets.js';

export interface TicketInput {
  title: string;
  /** Dollars, already validated (priceSchema). */
  price: number;
}

export interface NewTicketInput extends TicketInput {
  /** The event the ticket is for; absent or null for a listing without one. */
  eventId?: string | null | undefined;
}

/** The event a listing is for, read in the listing's transaction. $1 event id. */
const READ_EVENT = preparedStatement(
  'tickets.create.read_event',
  'SELECT id, name, venue, city, starts_at FROM events WHERE id = $1',
);

/**
 * The ticket and its ticket.created row in the outbox, with the relay's NOTIFY, in
 * one statement (atomic by itself: a listing without an event needs no BEGIN or
 * COMMIT). Every value is set here, version and status included, so the event made
 * before the statement says what the row holds. $1 id, $2 title, $3 price in cents,
 * $4 seller, $5 event id, $6 event start; $7–$10 the outbox row.
 */
const INSERT_TICKET = preparedStatement(
  'tickets.create.insert',
  `
    WITH listed AS (
      INSERT INTO tickets (id, title, price_cents, user_id, version, status, event_id, event_starts_at)
      VALUES ($1::uuid, $2::text, $3::integer, $4::uuid, 0, 'available', $5::uuid, $6::timestamptz)
      RETURNING has_file
    ), ${queuedOutboxRowSql('listed', 7)}
    SELECT
      (SELECT has_file FROM listed) AS has_file,
      ${NOTIFY_WHEN_QUEUED_SQL}`,
);

interface EventRow {
  id: string;
  name: string;
  venue: string;
  city: string;
  starts_at: Date;
}

type Run = (
  statement: { name: string; text: string },
  values: unknown[],
) => Promise<pg.QueryResult>;

/**
 * Lists a ticket for sale and announces it (ticket.created) atomically: one round
 * trip for a listing without an event (the propagation probe lists 20 a second
 * during a flash sale), BEGIN, the event's read, the same statement and COMMIT
 * for one with.
 */
export async function createTicket(
  db: Kysely<TicketsDatabase>,
  sellerId: string,
  input: NewTicketInput,
): Promise<Ticket> {
  const eventId = input.eventId;
  if (!eventId) {
    return insertTicket((s, values) => runStatement(db, s, values), sellerId, input, null);
  }
  return runTransaction(db, async (client) => {
    const { rows } = await client.query<EventRow & Record<string, unknown>>(READ_EVENT, [eventId]);
    const event = rows[0];
    if (!event) throw new BadRequestError('Unknown event', 'eventId');
    if (event.starts_at.getTime() <= Date.now()) {
      throw new BadRequestError('The event has started', 'eventId');
    }
    return insertTicket((s, values) => client.query(s, values), sellerId, input, event);
  });
}

async function insertTicket(
  run: Run,
  sellerId: string,
  input: TicketInput,
  event: EventRow | null,
): Promise<Ticket> {
  const priceCents = toCents(input.price);
  const ticket: Ticket = {
    id: randomUUID(),
    title: input.title,
    price: fromCents(priceCents),
    userId: sellerId,
    version: 0,
    orderId: null,
    status: 'available',
    eventId: event?.id ?? null,
    event: event && {
      id: event.id,
      name: event.name,
      venue: event.venue,
      city: event.city,
      startsAt: event.starts_at.toISOString(),
    },
    hasFile: false,
  };
  const envelope = createEnvelope('ticket.created', ticketCreatedData(ticket), randomUUID());
  const { rows } = await run(INSERT_TICKET, [
    ticket.id,
    ticket.title,
    priceCents,
    sellerId,
    ticket.eventId,
    event?.starts_at ?? null,
    ...outboxRowValues(envelope),
  ]);
  return { ...ticket, hasFile: (rows[0] as { has_file: boolean }).has_file };
}
