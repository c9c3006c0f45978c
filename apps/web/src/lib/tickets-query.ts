import { nextPageCursor } from './link-header';

export const PAGE_SIZE = 24;

/** Query parameters a listing page sets itself; anything else in its URL is the paging cursor. */
const FILTERS = [
  'q',
  'available',
  'userId',
  'limit',
  'eventId',
  'sort',
  'minPrice',
  'maxPrice',
] as const;

type SearchParams = Record<string, string | string[] | undefined>;

export function firstValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** The cursor carried in a listing page's own URL (everything but the filters). */
export function cursorFrom(searchParams: SearchParams): URLSearchParams {
  const cursor = new URLSearchParams();
  for (const [name, value] of Object.entries(searchParams)) {
    if ((FILTERS as readonly string[]).includes(name) || value === undefined) continue;
    cursor.set(name, firstValue(value));
  }
  return cursor;
}

/** GET /api/tickets?… for one page of a listing. */
export function ticketsApiPath(
  filters: Record<string, string>,
  cursor: URLSearchParams,
): `/api/${string}` {
  const query = new URLSearchParams(cursor);
  for (const [name, value] of Object.entries(filters)) if (value !== '') query.set(name, value);
  query.set('limit', String(PAGE_SIZE));
  return `/api/tickets?${query}`;
}

/** Where "Next page" goes: this page's path, its own filters, and the API's next cursor. */
export function nextPageHref(
  pagePath: string,
  pageParams: Record<string, string>,
  linkHeader: string | null,
): string | null {
  const cursor = nextPageCursor(linkHeader, FILTERS);
  if (!cursor || cursor.size === 0) return null;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(pageParams)) if (value !== '') query.set(name, value);
  for (const [name, value] of cursor) query.set(name, value);
  return `${pagePath}?${query}`;
}
