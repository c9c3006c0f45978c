import type { Ticket } from '@gittix/api-types';
import Link from 'next/link';
import { ListFilters } from '../../components/ListFilters';
import { RefusedListing } from '../../components/RefusedListing';
import { SearchForm } from '../../components/SearchForm';
import { TicketGrid } from '../../components/TicketGrid';
import { gatewayError, gatewayGet } from '../../lib/gateway';
import { filterParams, listFiltersFrom, SORT_LABEL } from '../../lib/list-filters';
import { refusedQuery } from '../../lib/refused-query';
import { cursorFrom, firstValue, nextPageHref, ticketsApiPath } from '../../lib/tickets-query';

interface HomeProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function Home({ searchParams }: HomeProps) {
  const params = await searchParams;
  const q = firstValue(params.q).trim();
  const cursor = cursorFrom(params);
  const filters = listFiltersFrom(params, 'newest');
  const own = { q, ...filterParams(filters, 'newest') };
  const path = ticketsApiPath({ available: 'true', ...own }, cursor);
  const response = await gatewayGet<Ticket[]>(path);
  const refused = refusedQuery(response);
  if (!response.data && !refused) throw gatewayError(response, path);
  const tickets = response.data ?? [];
  const next = nextPageHref('/', own, response.headers.get('link'));
  const firstPage = `/?${new URLSearchParams(Object.entries(own).filter(([, v]) => v !== ''))}`;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>{q ? `Tickets matching “${q}”` : 'Tickets for sale'}</h1>
          <p className="muted">
            {SORT_LABEL[filters.sort]}. Every ticket is sold by a fan at their price.{' '}
            <Link href="/events">Browse by event</Link>
          </p>
        </div>
        <SearchForm query={q} />
      </div>
      <ListFilters action="/" filters={filters} keep={{ q }} />

      {refused ? (
        <RefusedListing messages={refused} firstPage="/" />
      ) : tickets.length > 0 ? (
        <TicketGrid tickets={tickets} />
      ) : (
        <div className="card empty-state">
          <h2>{q ? 'No tickets match your search' : 'No tickets for sale yet'}</h2>
          <p className="muted">
            {q ? 'Try a shorter or different word.' : 'Be the first to list one.'}
          </p>
          {q ? (
            <Link href="/">Show all tickets</Link>
          ) : (
            <Link href="/tickets/new">List a ticket</Link>
          )}
        </div>
      )}

      {(next || cursor.size > 0) && (
        <nav aria-label="Pages" className="pager">
          {cursor.size > 0 && (
            <Link href={firstPage} className="button button-secondary">
              {filters.sort === 'newest' ? '← Newest' : '← First page'}
            </Link>
          )}
          {next && (
            <Link href={next} className="button button-secondary">
              More tickets →
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
