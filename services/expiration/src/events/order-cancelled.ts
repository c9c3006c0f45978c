import type { EventEnvelope, PlainEventHandler } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';

/**
 * Whether the order was cancelled by its own expiry: that order.cancelled names the
 * job's expiration.complete as its cause, whose event id is the order id.
 */
export function cancelledByOwnExpiry(event: EventEnvelope<'order.cancelled'>): boolean {
  return event.causationId === event.data.id;
}

/**
 * order.cancelled → the order ended early: its job must not fire. An order its own
 * expiry cancelled needs nothing: the job has fired, and its finished record (kept a
 * day, like a mark) keeps a late order.created from scheduling it again. That spares a
 * burst of expiries a mark and a BullMQ remove script per order.
 */
export const onOrderCancelled =
  (expirations: OrderExpirations): PlainEventHandler<'order.cancelled'> =>
  async (event) => {
    if (cancelledByOwnExpiry(event)) return;
    await expirations.cancel(event.data.id);
  };
