import type { CatalogueEvent } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { EventForm } from '../../components/EventForm';
import { EventGrid } from '../../components/EventGrid';
import { RefusedListing } from '../../components/RefusedListing';
import { SearchForm } from '../../components/SearchForm';
import { eventsApiPath, eventsCursorFrom, nextEventsHref } from '../../lib/events-query';
import { gatewayError, gatewayGet, getCurrentUser } from '../../lib/gateway';
import { refusedQuery } from '../../lib/refused-query';
import { firstValue } from '../../lib/tickets-query';

export const metadata: Metadata = { title: 'Events' };

interface EventsProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function EventsPage({ searchParams }: EventsProps) {
  const params = await searchParams;
  const q = firstValue(params.q).trim();
  const cursor = eventsCursorFrom(params);
  const path = eventsApiPath(q, cursor);
  const [response, user] = await Promise.all([
    gatewayGet<CatalogueEvent[]>(path),
    getCurrentUser().catch(() => null),
  ]);
  const refused = refusedQuery(response);
  if (!response.data && !refused) throw gatewayError(response, path);
  const events = response.data ?? [];
  const next = nextEventsHref(q, response.headers.get('link'));

  return (
    <>
      <div className="page-header">
        <div>
          <h1>{q ? `Events matching “${q}”` : 'Upcoming events'}</h1>
          <p className="muted">Soonest first, with how many tickets fans are selling.</p>
        </div>
        <SearchForm
          query={q}
          action="/events"
          label="Search events"
          placeholder="Show, venue or city"
        />
      </div>

      {refused ? (
        <RefusedListing messages={refused} firstPage="/events" />
      ) : events.length > 0 ? (
        <EventGrid events={events} />
      ) : (
        <div className="card empty-state">
          <h2>{q ? 'No events match your search' : 'No upcoming events yet'}</h2>
          {q && <Link href="/events">Show all events</Link>}
        </div>
      )}

      {(next || cursor.size > 0) && (
        <nav aria-label="Pages" className="pager">
          {cursor.size > 0 && (
            <Link
              href={q ? `/events?q=${encodeURIComponent(q)}` : '/events'}
              className="button button-secondary"
            >
              ← Soonest
            </Link>
          )}
          {next && (
            <Link href={next} className="button button-secondary">
              More events →
            </Link>
          )}
        </nav>
      )}

      <section
        className="narrow card"
        aria-labelledby="add-event-title"
        style={{ marginTop: '2rem' }}
      >
        <h2 id="add-event-title">Add an event</h2>
        {user ? (
          <>
            <p className="muted">Not in the list? Add the show, then list your ticket for it.</p>
            <EventForm />
          </>
        ) : (
          <p className="muted">
            <Link href="/auth/signin?next=/events">Sign in</Link> to add an event.
          </p>
        )}
      </section>
    </>
  );
}
