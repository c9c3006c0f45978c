import { describe, expect, it } from 'vitest';
import { nextPageCursor, parseLinkHeader } from '../src/lib/link-header';
import { cursorFrom, nextPageHref, PAGE_SIZE, ticketsApiPath } from '../src/lib/tickets-query';

describe('parseLinkHeader', () => {
  it('when there are several links, then each rel maps to its URL', () => {
    const links = parseLinkHeader(
      '</api/tickets?cursor=abc&limit=24>; rel="next", <http://x/api/tickets>; rel="first"',
    );
    expect(links.get('next')).toBe('/api/tickets?cursor=abc&limit=24');
    expect(links.get('first')).toBe('http://x/api/tickets');
  });

  it('when rel is unquoted, or lists several names, then each is understood', () => {
    expect(parseLinkHeader('<https://a/b?c=1,2>; rel=next').get('next')).toBe('https://a/b?c=1,2');
    expect(parseLinkHeader('</p2>; title="x"; rel="next last"').get('last')).toBe('/p2');
  });

  it('when the header is missing or malformed, then there are no links', () => {
    expect(parseLinkHeader(null).size).toBe(0);
    expect(parseLinkHeader('garbage').size).toBe(0);
    expect(parseLinkHeader('</x>').size).toBe(0);
  });
});

describe('paging through the Link header', () => {
  const link =
    '<http://tickets.internal:3002/api/tickets?available=true&q=rock&limit=24&cursor=MTI>; rel="next"';

  it('when the API has a next page, then only its cursor is kept, whatever it is called', () => {
    const cursor = nextPageCursor(link, ['q', 'available', 'userId', 'limit']);
    expect(cursor?.toString()).toBe('cursor=MTI');
  });

  it('when the page links onward, then the link keeps the search and carries the cursor', () => {
    expect(nextPageHref('/', { q: 'rock' }, link)).toBe('/?q=rock&cursor=MTI');
    expect(nextPageHref('/', { q: '' }, link)).toBe('/?cursor=MTI');
    expect(nextPageHref('/', { q: 'rock' }, null)).toBeNull();
  });

  it('when a page URL carries a cursor, then the API call sends it with the page filters', () => {
    const cursor = cursorFrom({ q: 'rock', cursor: 'MTI', available: 'false', limit: '5' });
    expect(cursor.toString()).toBe('cursor=MTI');
    const path = ticketsApiPath({ available: 'true', q: 'rock' }, cursor);
    const query = new URL(path, 'http://x').searchParams;
    expect(Object.fromEntries(query)).toEqual({
      cursor: 'MTI',
      available: 'true',
      q: 'rock',
      limit: String(PAGE_SIZE),
    });
  });

  it('when the search is empty, then no q is sent', () => {
    expect(ticketsApiPath({ available: 'true', q: '' }, new URLSearchParams())).toBe(
      `/api/tickets?available=true&limit=${PAGE_SIZE}`,
    );
  });
});
