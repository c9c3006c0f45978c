import { randomUUID } from 'node:crypto';
import { startTestService, waitFor } from '@gittix/common/testing';
import type { CatalogueEvent } from '../src/catalogue.js';
import { ticketsService } from '../src/service.js';
import type { Ticket } from '../src/tickets.js';

/**
 * The tickets service as main.ts opens it, on a database, stream and session key
 * of this test file's own. Consumers start when a test asks (`startConsumers`).
 */
export async function createTicketsFixture(options: { env?: Record<string, string> } = {}) {
  const service = await startTestService(ticketsService, options);

  /** A signed-in user: its id and the cookie header that proves it. */
  async function user(id: string = randomUUID()) {
    const session = await service.environment.signIn({
      id,
      email: `${id.slice(0, 8)}@example.test`,
    });
    return { id, headers: session.cookie };
  }
  type User = Awaited<ReturnType<typeof user>>;

  /** Adds an event through the API, starting in a week unless told. */
  async function addEvent(
    user: User,
    body: { name?: string; venue?: string; city?: string; startsAt?: string } = {},
  ): Promise<CatalogueEvent> {
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: user.headers,
      payload: {
        name: `Show ${randomUUID().slice(0, 8)}`,
        venue: 'Olympia',
        city: 'Paris',
        startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        ...body,
      },
    });
    if (response.statusCode !== 201) throw new Error(`adding the event failed: ${response.body}`);
    return response.json();
  }

  /** Moves an event's start (and its tickets' copy of it): the API never lets one start in the past. */
  async function moveEvent(eventId: string, startsAt: Date): Promise<void> {
    await service.db
      .updateTable('events')
      .set({ starts_at: startsAt })
      .where('id', '=', eventId)
      .execute();
    await service.db
      .updateTable('tickets')
      .set({ event_starts_at: startsAt })
      .where('event_id', '=', eventId)
      .execute();
  }

  async function eventState(id: string): Promise<CatalogueEvent> {
    const response = await service.app.inject({ method: 'GET', url: `/api/events/${id}` });
    return response.json();
  }

  /** Lists a ticket through the API, as `seller`. */
  async function listTicket(
    seller: User,
    body: { title?: string; price?: number; eventId?: string } = {},
  ): Promise<Ticket> {
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: seller.headers,
      payload: { title: `Concert ${randomUUID().slice(0, 8)}`, price: 25, ...body },
    });
    if (response.statusCode !== 201) throw new Error(`listing failed: ${response.body}`);
    return response.json();
  }

  return Object.assign(service, {
    user,
    listTicket,
    addEvent,
    moveEvent,
    eventState,
    async ticketState(id: string): Promise<Ticket> {
      const response = await service.app.inject({ method: 'GET', url: `/api/tickets/${id}` });
      return response.json();
    },
    /** ticket.updated payloads published for one ticket, oldest first. */
    async updates(ticketId: string) {
      const events = await service.publishedEvents('ticket.updated');
      return events.filter((e) => e.data.id === ticketId).map((e) => e.data);
    },
    async idle() {
      await waitFor(() => service.caughtUp(), { message: 'both consumers caught up' });
    },
  });
}

export type TicketsFixture = Awaited<ReturnType<typeof createTicketsFixture>>;
