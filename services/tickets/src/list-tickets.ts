import { toCents } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { selectTickets, type Ticket, toTicket } from './tickets.js';

export const ticketSorts = ['newest', 'price', '-price'] as const;
export type TicketSort = (typeof ticketSorts)[number];

/** Where a page ended: the sort it was read in, and the sort key of its last row. */
export type TicketCursor =
  /** createdAt with Postgres's microseconds (a JS Date would round them off). */
  | { sort: 'newest'; createdAt: string; id: string }
  | { sort: 'price' | '-price'; priceCents: number; id: string };

export interface TicketFilters {
  q?: string | undefined;
  available?: boolean | undefined;
  userId?: string | undefined;
  eventId?: string | undefined;
  /** Dollars. */
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  sort: TicketSort;
  limit: number;
  after?: TicketCursor | undefined;
}

export interface TicketPage {
  tickets: Ticket[];
  /** Set when more tickets follow the last one returned. */
  next: TicketCursor | undefined;
}

/** `q` is a literal substring: LIKE's wildcards and escape character are escaped. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Tickets in one of three orders, each ending on the id, so that pages keyed on
 * the last row stay stable while tickets are inserted ahead of them. Each order
 * has an index (db/migrations.ts; plans in docs/tickets.md). Without `userId`,
 * withdrawn tickets and tickets of started events are left out.
 */
export async function listTickets(
  db: Kysely<TicketsDatabase>,
  filters: TicketFilters,
): Promise<TicketPage> {
  const rows = await ticketsQuery(db, filters).execute();
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  let next: TicketCursor | undefined;
  if (rows.length > filters.limit && last) {
    next =
      filters.sort === 'newest'
        ? { sort: 'newest', createdAt: last.cursor_at, id: last.id }
        : { sort: filters.sort, priceCents: last.price_cents, id: last.id };
  }
  return { tickets: page.map(toTicket), next };
}

/** The query of one page (and one row more, to know whether another page follows). */
export function ticketsQuery(db: Kysely<TicketsDatabase>, filters: TicketFilters) {
  let query = selectTickets(db).select(
    sql<string>`to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
      'cursor_at',
    ),
  );
  if (filters.q) query = query.where(sql<boolean>`t.title ILIKE ${containsPattern(filters.q)}`);
  if (filters.available === true) query = query.where(sql<boolean>`t.status = 'available'`);
  if (filters.available === false) query = query.where('t.order_id', 'is not', null);
  if (filters.userId) query = query.where('t.user_id', '=', filters.userId);
  else {
    // Literal, so the planner matches the partial indexes' predicate.
    query = query
      .where(sql<boolean>`t.status <> 'withdrawn'`)
      .where(sql<boolean>`(t.event_starts_at IS NULL OR t.event_starts_at > now())`);
  }
  if (filters.eventId) query = query.where('t.event_id', '=', filters.eventId);
  if (filters.minPrice !== undefined) {
    query = query.where('t.price_cents', '>=', toCents(filters.minPrice));
  }
  if (filters.maxPrice !== undefined) {
    query = query.where('t.price_cents', '<=', toCents(filters.maxPrice));
  }

  const after = filters.after;
  if (filters.sort === 'newest') {
    if (after?.sort === 'newest') {
      query = query.where(
        sql<boolean>`(t.created_at, t.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
      );
    }
    query = query.orderBy('t.created_at', 'desc').orderBy('t.id', 'desc');
  } else if (filters.sort === 'price') {
    if (after && after.sort !== 'newest') {
      query = query.where(
        sql<boolean>`(t.price_cents, t.id) > (${after.priceCents}, ${after.id}::uuid)`,
      );
    }
    query = query.orderBy('t.price_cents', 'asc').orderBy('t.id', 'asc');
  } else {
    if (after && after.sort !== 'newest') {
      query = query.where(
        sql<boolean>`(t.price_cents, t.id) < (${after.priceCents}, ${after.id}::uuid)`,
      );
    }
    query = query.orderBy('t.price_cents', 'desc').orderBy('t.id', 'desc');
  }
  return query.limit(filters.limit + 1);
}

export function encodeCursor(cursor: TicketCursor): string {
  const key = cursor.sort === 'newest' ? cursor.createdAt : cursor.priceCents;
  return Buffer.from(JSON.stringify([cursor.sort, key, cursor.id])).toString('base64url');
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A real UTC instant in the format listTickets writes (so Postgres never rejects it). */
export function isCursorTime(value: string): boolean {
  if (!CURSOR_TIME.test(value)) return false;
  const ms = Date.parse(value);
  // Before 1970 no ticket existed; it also keeps out year 0, which Postgres refuses.
  return ms >= 0 && new Date(ms).toISOString().slice(0, 23) === value.slice(0, 23);
}

/** The cursor of a Link header, or undefined for anything this service did not write. */
export function decodeCursor(value: string): TicketCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [sort, key, id] = parsed;
    if (typeof id !== 'string' || !UUID.test(id)) return undefined;
    if (sort === 'newest') {
      return typeof key === 'string' && isCursorTime(key)
        ? { sort, createdAt: key, id }
        : undefined;
    }
    if (sort !== 'price' && sort !== '-price') return undefined;
    return Number.isSafeInteger(key) && key > 0 && key <= 100_000_000
      ? { sort, priceCents: key, id }
      : undefined;
  } catch {
    return undefined;
  }
}
