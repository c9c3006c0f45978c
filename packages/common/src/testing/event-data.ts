import { randomUUID } from 'node:crypto';
import type { EventInput } from '../events/contracts.js';

// Payloads as the publishing service would send them: fresh ids, sane values, any
// field overridable. Tests state only what they care about.

const MINUTE_MS = 60_000;

export function ticketCreatedData(
  overrides: Partial<EventInput<'ticket.created'>> = {},
): EventInput<'ticket.created'> {
  return {
    id: randomUUID(),
    version: 0,
    title: `Concert ${randomUUID().slice(0, 8)}`,
    price: 25.5,
    userId: randomUUID(),
    ...overrides,
  };
}

export function ticketUpdatedData(
  overrides: Partial<EventInput<'ticket.updated'>> = {},
): EventInput<'ticket.updated'> {
  return { ...ticketCreatedData(), orderId: null, ...overrides };
}

/** A new order for a ticket, expiring in 15 minutes. */
export function orderCreatedData(
  overrides: Partial<EventInput<'order.created'>> = {},
): EventInput<'order.created'> {
  return {
    id: randomUUID(),
    version: 0,
    status: 'created',
    userId: randomUUID(),
    expiresAt: new Date(Date.now() + 15 * MINUTE_MS).toISOString(),
    // Every field orders sends: a consumer that reads one is tested against it.
    ticket: {
      id: randomUUID(),
      price: 25.5,
      version: 0,
      userId: randomUUID(),
      title: `Concert ${randomUUID().slice(0, 8)}`,
      eventId: null,
      eventStartsAt: null,
    },
    ...overrides,
  };
}

/** The cancellation of `order` (version 1 unless said), as orders sends it: with the buyer and why. */
export function orderCancelledData(
  order: { id: string; userId?: string; ticket: { id: string } },
  version = 1,
  reason: NonNullable<EventInput<'order.cancelled'>['reason']> = 'cancelled',
): EventInput<'order.cancelled'> {
  return {
    id: order.id,
    version,
    ticket: { id: order.ticket.id },
    userId: order.userId ?? randomUUID(),
    reason,
  };
}

export function paymentCreatedData(
  overrides: Partial<EventInput<'payment.created'>> = {},
): EventInput<'payment.created'> {
  return { id: randomUUID(), orderId: randomUUID(), providerId: 'ch_test', ...overrides };
}

/** A full refund of a $25.50 payment, as payments sends it; any field overridable. */
export function paymentRefundedData(
  overrides: Partial<EventInput<'payment.refunded'>> = {},
): EventInput<'payment.refunded'> {
  return {
    id: randomUUID(),
    orderId: randomUUID(),
    userId: randomUUID(),
    amount: 25.5,
    ticketId: randomUUID(),
    ...overrides,
  };
}
