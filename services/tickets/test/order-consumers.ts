import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EventConsumers,
  type EventData,
  type EventEnvelope,
  type Subject,
} from '@gittix/common';
import { testLogger, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { ticketsSubscriptions } from '../src/events/subscriptions.js';
import type { Ticket } from '../src/tickets.js';
import type { TicketsFixture } from './fixture.js';

export const MINUTE = 60_000;

export function orderCreated(
  ticket: Ticket,
  overrides: { id?: string; expiresAt?: Date } = {},
): EventData<'order.created'> {
  return {
    id: overrides.id ?? randomUUID(),
    version: 0,
    status: 'created',
    userId: randomUUID(),
    expiresAt: (overrides.expiresAt ?? new Date(Date.now() + 15 * MINUTE)).toISOString(),
    ticket: { id: ticket.id, price: ticket.price },
  };
}

export function orderCancelled(ticketId: string, orderId: string): EventData<'order.cancelled'> {
  return { id: orderId, version: 1, ticket: { id: ticketId } };
}

/**
 * The service's real consumers on the fixture's stream, and ways to feed them:
 * `publish` (real envelopes into the stream) and `deliver` (publish, then wait
 * until it is committed, to force an arrival order).
 */
export async function startOrderConsumers(fx: TicketsFixture) {
  const consumers = new EventConsumers({
    bus: fx.bus,
    service: 'tickets',
    subscriptions: ticketsSubscriptions(fx.db),
    logger: testLogger,
    maxDeliveries: 2,
  });
  await consumers.start();

  async function publish<S extends Subject>(subject: S, data: EventData<S>) {
    const envelope = createEnvelope(subject, data, randomUUID());
    await fx.bus.publish(envelope);
    return envelope;
  }

  async function handled(envelope: EventEnvelope) {
    await waitFor(
      async () => {
        const { rows } = await sql`SELECT 1 FROM inbox WHERE event_id = ${envelope.id}`.execute(
          fx.db,
        );
        return rows.length === 1;
      },
      { message: `${envelope.type} ${envelope.id} handled` },
    );
  }

  return {
    publish,
    handled,
    async deliver<S extends Subject>(subject: S, data: EventData<S>) {
      const envelope = await publish(subject, data);
      await handled(envelope);
      return envelope;
    },
    async ticketState(id: string): Promise<Ticket> {
      const response = await fx.app.inject({ method: 'GET', url: `/api/tickets/${id}` });
      return response.json();
    },
    /** ticket.updated payloads published for one ticket, oldest first. */
    async updates(ticketId: string) {
      const events = await fx.publishedEvents('ticket.updated');
      return events.filter((e) => e.data.id === ticketId).map((e) => e.data);
    },
    async idle() {
      await waitFor(
        async () => {
          for (const name of ['tickets_order_created', 'tickets_order_cancelled']) {
            const info = await fx.bus.jsm.consumers.info(fx.bus.stream, name);
            if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
          }
          return true;
        },
        { message: 'both consumers caught up' },
      );
    },
    stop: () => consumers.stop(),
  };
}

export type OrderConsumers = Awaited<ReturnType<typeof startOrderConsumers>>;
