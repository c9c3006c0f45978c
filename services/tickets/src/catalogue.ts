import { BadRequestError, fromCents, isUniqueViolation } from '@gittix/common';
import { type Kysely, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { EVENT_UNIQUE_INDEX } from './db/migrations.js';
import type { EventsTable, TicketsDatabase } from './db/schema.js';
import { containsPattern, isCursorTime, UUID } from './list-tickets.js';

/** An event of the catalogue as the API shows it. */
export const eventSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  venue: z.string(),
  city: z.string(),
  startsAt: z.iso.datetime(),
  createdBy: z.uuid(),
  availableTickets: z.number().int().meta({ description: 'Tickets for sale now' }),
  minPrice: z.number().nullable().meta({ description: 'Dollars; null when nothing is for sale' }),
});
export type CatalogueEvent = z.output<typeof eventSchema>;

export interface EventInput {
  name: string;
  venue: string;
  city: string;
  startsAt: Date;
}

/**
 * Events with what is for sale for each: counted from the tickets at read
 * time (one index, tickets_event_for_sale), so the figures can never drift
 * from the tickets' own status. A started event has nothing for sale.
 */
function selectEvents(db: Kysely<TicketsDatabase>) {
  return db
    .selectFrom('events as e')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('tickets as t')
          .select([
            sql<number>`count(*)::int`.as('available'),
            sql<number | null>`min(t.price_cents)`.as('min_price_cents'),
          ])
          .whereRef('t.event_id', '=', 'e.id')
          .where(sql<boolean>`t.status = 'available'`)
          .where(sql<boolean>`e.starts_at > now()`)
          .as('s'),
      (join) => join.onTrue(),
    )
    .selectAll('e')
    .select(['s.available', 's.min_price_cents']);
}

type EventRow = Selectable<EventsTable> & {
  available: number | null;
  min_price_cents: number | null;
};

function toEvent(row: EventRow): CatalogueEvent {
  return {
    id: row.id,
    name: row.name,
    venue: row.venue,
    city: row.city,
    startsAt: row.starts_at.toISOString(),
    createdBy: row.created_by,
    availableTickets: row.available ?? 0,
    minPrice: row.min_price_cents === null ? null : fromCents(row.min_price_cents),
  };
}

/** Adds an event; the same name, venue and start (any case) is refused. */
export async function createEvent(
  db: Kysely<TicketsDatabase>,
  userId: string,
  input: EventInput,
): Promise<CatalogueEvent> {
  try {
    const { id } = await db
      .insertInto('events')
      .values({
        name: input.name,
        venue: input.venue,
        city: input.city,
        starts_at: input.startsAt,
        created_by: userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return toEvent(await selectEvents(db).where('e.id', '=', id).executeTakeFirstOrThrow());
  } catch (error) {
    if (isUniqueViolation(error, EVENT_UNIQUE_INDEX)) {
      throw new BadRequestError('Event already exists', 'name');
    }
    throw error;
  }
}

export async function findEvent(
  db: Kysely<TicketsDatabase>,
  id: string,
): Promise<CatalogueEvent | undefined> {
  const row = await selectEvents(db).where('e.id', '=', id).executeTakeFirst();
  return row && toEvent(row);
}

/** Where a page of events ended: the last row's start (microseconds kept) and id. */
export interface EventCursor {
  startsAt: string;
  id: string;
}

export interface EventFilters {
  q?: string | undefined;
  city?: string | undefined;
  /** Inclusive bounds on startsAt; without `from`, only events yet to start. */
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  after?: EventCursor | undefined;
}

/** Events soonest first, by (starts_at, id): pages stay stable under inserts. */
export async function listEvents(
  db: Kysely<TicketsDatabase>,
  filters: EventFilters,
): Promise<{ events: CatalogueEvent[]; next: EventCursor | undefined }> {
  const rows = await eventsQuery(db, filters).execute();
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    events: page.map(toEvent),
    next:
      rows.length > filters.limit && last ? { startsAt: last.cursor_at, id: last.id } : undefined,
  };
}

/** The query of one page of events (and one row more). */
export function eventsQuery(db: Kysely<TicketsDatabase>, filters: EventFilters) {
  let query = selectEvents(db).select(
    sql<string>`to_char(e.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
      'cursor_at',
    ),
  );
  if (filters.q) {
    const pattern = containsPattern(filters.q);
    query = query.where(
      sql<boolean>`(e.name ILIKE ${pattern} OR e.venue ILIKE ${pattern} OR e.city ILIKE ${pattern})`,
    );
  }
  if (filters.city) query = query.where(sql<boolean>`lower(e.city) = lower(${filters.city})`);
  query = filters.from
    ? query.where('e.starts_at', '>=', filters.from)
    : query.where(sql<boolean>`e.starts_at > now()`);
  if (filters.to) query = query.where('e.starts_at', '<=', filters.to);
  if (filters.after) {
    const { startsAt, id } = filters.after;
    query = query.where(
      sql<boolean>`(e.starts_at, e.id) > (${startsAt}::timestamptz, ${id}::uuid)`,
    );
  }
  return query
    .orderBy('e.starts_at', 'asc')
    .orderBy('e.id', 'asc')
    .limit(filters.limit + 1);
}

export function encodeEventCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify([cursor.startsAt, cursor.id])).toString('base64url');
}

export function decodeEventCursor(value: string): EventCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [startsAt, id] = parsed;
    if (typeof startsAt !== 'string' || !isCursorTime(startsAt)) return undefined;
    if (typeof id !== 'string' || !UUID.test(id)) return undefined;
    return { startsAt, id };
  } catch {
    return undefined;
  }
}
