import { type Kysely, sql } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { type Ticket, ticketColumns, toTicket } from './tickets.js';

/** Where a page ended: the sort key of its last row. */
export interface TicketCursor {
  /** created_at with Postgres's microseconds (a JS Date would round them off). */
  createdAt: string;
  id: string;
}

export interface TicketFilters {
  q?: string | undefined;
  available?: boolean | undefined;
  userId?: string | undefined;
  limit: number;
  after?: TicketCursor | undefined;
}

export interface TicketPage {
  tickets: Ticket[];
  /** Set when more tickets follow the last one returned. */
  next: TicketCursor | undefined;
}

/** `q` is a literal substring: LIKE's wildcards and escape character are escaped. */
function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Tickets newest first, by (created_at, id) so that pages keyed on the last
 * row stay stable while new tickets are inserted ahead of them.
 */
export async function listTickets(
  db: Kysely<TicketsDatabase>,
  filters: TicketFilters,
): Promise<TicketPage> {
  let query = db
    .selectFrom('tickets')
    .select(ticketColumns)
    .select(
      sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'cursor_at',
      ),
    );
  if (filters.q) query = query.where(sql<boolean>`title ILIKE ${containsPattern(filters.q)}`);
  if (filters.available === true) query = query.where('order_id', 'is', null);
  if (filters.available === false) query = query.where('order_id', 'is not', null);
  if (filters.userId) query = query.where('user_id', '=', filters.userId);
  if (filters.after) {
    const { createdAt, id } = filters.after;
    query = query.where(sql<boolean>`(created_at, id) < (${createdAt}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filters.limit + 1)
    .execute();

  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    tickets: page.map(toTicket),
    next:
      rows.length > filters.limit && last ? { createdAt: last.cursor_at, id: last.id } : undefined,
  };
}

export function encodeCursor(cursor: TicketCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A real UTC instant in the format listTickets writes (so Postgres never rejects it). */
function isCursorTime(value: string): boolean {
  if (!CURSOR_TIME.test(value)) return false;
  const ms = Date.parse(value);
  // Before 1970 no ticket existed; it also keeps out year 0, which Postgres refuses.
  return ms >= 0 && new Date(ms).toISOString().slice(0, 23) === value.slice(0, 23);
}

/** The cursor of a Link header, or undefined for anything this service did not write. */
export function decodeCursor(value: string): TicketCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [createdAt, id] = parsed;
    if (typeof createdAt !== 'string' || !isCursorTime(createdAt)) return undefined;
    if (typeof id !== 'string' || !UUID.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}
