import type { CatalogueEvent } from '@gittix/api-types';
import type { Metadata } from 'next';
import { TicketForm } from '../../../components/TicketForm';
import { webConfig } from '../../../lib/config';
import { gatewayGet, requireUser } from '../../../lib/gateway';
import { firstValue } from '../../../lib/tickets-query';

export const metadata: Metadata = { title: 'Sell a ticket' };

interface NewTicketProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function NewTicketPage({ searchParams }: NewTicketProps) {
  const wanted = firstValue((await searchParams).eventId);
  await requireUser(wanted ? `/tickets/new?eventId=${encodeURIComponent(wanted)}` : '/tickets/new');
  const upcoming = await gatewayGet<CatalogueEvent[]>('/api/events?limit=100');
  const events = upcoming.data ?? [];
  // The preselected event may be past the first 100: fetch it on its own.
  let unavailable: string | null = null;
  if (wanted && !events.some((event) => event.id === wanted)) {
    const one = /^[0-9a-f-]{36}$/i.test(wanted)
      ? await gatewayGet<CatalogueEvent>(`/api/events/${wanted}`)
      : null;
    if (one?.data && Date.parse(one.data.startsAt) > Date.now()) events.unshift(one.data);
    // Said out loud: the picker falling back to `No event` unannounced lists the ticket without one.
    else
      unavailable = one?.data
        ? `${one.data.name} has started: tickets for it can no longer be listed.`
        : 'That event was not found: choose one below, or add it.';
  }
  const eventId = events.some((event) => event.id === wanted) ? wanted : '';
  return (
    <section className="narrow card" aria-labelledby="new-ticket-title">
      <h1 id="new-ticket-title">Sell a ticket</h1>
      <p className="muted">Buyers see it on the front page as soon as you list it.</p>
      {unavailable && <p className="notice notice-warning">{unavailable}</p>}
      <TicketForm events={events} eventId={eventId} feePercent={webConfig().PLATFORM_FEE_PERCENT} />
    </section>
  );
}
