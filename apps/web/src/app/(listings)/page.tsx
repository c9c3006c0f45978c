import type { Ticket } from '@gittix/api-types';
import Link from 'next/link';
import { SearchForm } from '../../components/SearchForm';
import { TicketGrid } from '../../components/TicketGrid';
import { GatewayError, gatewayGet } from '../../lib/gateway';
import { cursorFrom, firstValue, nextPageHref, ticketsApiPath } from '../../lib/tickets-query';

interface HomeProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function Home({ searchParams }: HomeProps) {
  const params = await searchParams;
  const q = firstValue(params.q).trim();
  const cursor = cursorFrom(params);
  const path = ticketsApiPath({ available: 'true', q }, cursor);
  const response = await gatewayGet<Ticket[]>(path);
  if (!response.data) throw new GatewayError(response.status, response.errors, path);
  const tickets = response.data;
  const next = nextPageHref('/', { q }, response.headers.get('link'));

  return (
    <>
      <div className="page-header">
        <div>
          <h1>{q ? `Tickets matching “${q}”` : 'Tickets for sale'}</h1>
          <p className="muted">Newest first. Every ticket is sold by a fan at their price.</p>
        </div>
        <SearchForm query={q} />
      </div>

      {tickets.length > 0 ? (
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
            <Link
              href={q ? `/?q=${encodeURIComponent(q)}` : '/'}
              className="button button-secondary"
            >
              ← Newest
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
