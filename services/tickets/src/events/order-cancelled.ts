import { randomUUID } from 'node:crypto';
import { type BatchEventHandler, causedBy, createEnvelope } from '@gittix/common';
import type { TicketsDatabase } from '../db/schema.js';
import { releaseTickets } from '../release-ticket.js';

/**
 * order.cancelled → the ticket is free again if that order held it. Handled in
 * batches (subscribeBatch): orders expiring together cancel together, and each
 * released ticket's ticket.updated names its own order.cancelled as its cause.
 */
export const onOrderCancelled: BatchEventHandler<TicketsDatabase, 'order.cancelled'> = async (
  trx,
  events,
) => {
  const causeOf = new Map(events.map((event) => [event.data.id, event]));
  await releaseTickets(
    trx,
    events.map((event) => ({ orderId: event.data.id, ticketId: event.data.ticket.id })),
    (ticket, releasedBy) =>
      causedBy(causeOf.get(releasedBy)!, () =>
        createEnvelope('ticket.updated', ticket, randomUUID()),
      ),
  );
};
