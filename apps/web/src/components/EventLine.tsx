import type { Ticket } from '@gittix/api-types';
import Link from 'next/link';
import { LocalTime } from './LocalTime';

/** The event a ticket is for, as a ticket's own page writes it. */
export type TicketEvent = NonNullable<Ticket['event']>;

/**
 * "Name · Venue, City · Fri, Jun 12, 2026, 08:00 PM EDT" (the viewer's zone): which show a ticket gets you
 * in to, with the name linking to the event's page.
 */
export function EventLine({ event }: { event: TicketEvent }) {
  return (
    <>
      <Link href={`/events/${event.id}`}>{event.name}</Link>
      {' · '}
      {event.venue}, {event.city} · <LocalTime iso={event.startsAt} />
    </>
  );
}
