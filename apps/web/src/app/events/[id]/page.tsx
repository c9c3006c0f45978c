import type { CatalogueEvent, Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { cache } from 'react';
import { ListFilters } from '../../../components/ListFilters';
import { LocalTime } from '../../../components/LocalTime';
import { RefusedListing } from '../../../components/RefusedListing';
import { TicketGrid } from '../../../components/TicketGrid';
import { eventOffer } from '../../../lib/event-offer';
import { gatewayError, gatewayGet, loadOrRedirect } from '../../../lib/gateway';
import { filterParams, listFiltersFrom } from '../../../lib/list-filters';
import { refusedQuery } from '../../../lib/refused-query';
import { cursorFrom, nextPageHref, ticketsApiPath } from '../../../lib/tickets-query';

interface EventProps {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

const loadEvent = cache(
  (id: string): Promise<CatalogueEvent> =>
    loadOrRedirect<CatalogueEvent>(`/api/events/${encodeURIComponent(id)}`, `/events/${id}`),
);

export async function generateMetadata({ params }: EventProps): Promise<Metadata> {
  const event = await loadEvent((await params).id);
  return { title: event.name };
}

export default async function EventPage({ params, searchParams }: EventProps) {
  const { id } = await params;
  const query = await searchParams;
  const event = await loadEvent(id);
  const started = Date.parse(event.startsAt) <= Date.now();
  const here = `/events/${event.id}`;
  const filters = listFiltersFrom(query, 'price');
  const own = filterParams(filters, 'price');
  const narrowed = filters.minPrice !== '' || filters.maxPrice !== '';
  const cursor = cursorFrom(query);
  const path = ticketsApiPath(
    { eventId: event.id, available: 'true', ...own, sort: filters.sort },
    cursor,
  );
  const response = await gatewayGet<Ticket[]>(path);
  const refused = refusedQuery(response);
  if (!response.data && !refused) throw gatewayError(response, path);
  const tickets = response.data ?? [];
  const next = nextPageHref(here, own, response.headers.get('link'));

  return (
    <>
      <div className="page-header">
        <div>
          <h1>{event.name}</h1>
          <p className="muted">
            {event.venue}, {event.city} · <LocalTime iso={event.startsAt} />
          </p>
          <p>
            <strong>{started ? 'This event has started' : eventOffer(event)}</strong>
          </p>
        </div>
        {!started && (
          <Link href={`/tickets/new?eventId=${event.id}`} className="button">
            Sell a ticket for this event
          </Link>
        )}
      </div>

      {!started && <ListFilters action={here} filters={filters} />}

      {refused ? (
        <RefusedListing messages={refused} firstPage={here} />
      ) : tickets.length > 0 ? (
        <TicketGrid tickets={tickets} showEvent={false} />
      ) : (
        <div className="card empty-state">
          {started && <h2>Tickets are no longer on sale</h2>}
          {/* Unfiltered, the header already says there are none: nothing "matches" here. */}
          {!started && narrowed && <h2>No tickets match</h2>}
          {!started && !narrowed && (
            <p className="muted">Have a ticket you can't use? List it and it shows up here.</p>
          )}
          <Link href="/events">← All events</Link>
        </div>
      )}

      {(next || cursor.size > 0) && (
        <nav aria-label="Pages" className="pager">
          {cursor.size > 0 && (
            <Link href={here} className="button button-secondary">
              ← First page
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
