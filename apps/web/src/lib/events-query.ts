import { nextPageCursor } from './link-header';

export const EVENTS_PAGE_SIZE = 24;

/** What the events page sets itself; anything else in its URL is the paging cursor. */
const EVENT_FILTERS = ['q', 'city', 'from', 'to', 'limit'] as const;

/** GET /api/events?… for one page of the catalogue. */
export function eventsApiPath(q: string, cursor: URLSearchParams): `/api/${string}` {
  const query = new URLSearchParams(cursor);
  if (q) query.set('q', q);
  query.set('limit', String(EVENTS_PAGE_SIZE));
  return `/api/events?${query}`;
}

/** The cursor in the events page's own URL. */
export function eventsCursorFrom(params: Record<string, string | string[] | undefined>) {
  const cursor = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if ((EVENT_FILTERS as readonly string[]).includes(name) || value === undefined) continue;
    cursor.set(name, Array.isArray(value) ? (value[0] ?? '') : value);
  }
  return cursor;
}

export function nextEventsHref(q: string, linkHeader: string | null): string | null {
  const cursor = nextPageCursor(linkHeader, EVENT_FILTERS);
  if (!cursor || cursor.size === 0) return null;
  const query = new URLSearchParams(q ? { q } : {});
  for (const [name, value] of cursor) query.set(name, value);
  return `/events?${query}`;
}
