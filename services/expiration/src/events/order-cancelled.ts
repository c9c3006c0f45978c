import type { EventEnvelope, PlainBatchEventHandler } from '@gittix/common';
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
 * burst of expiries a mark and a BullMQ remove script per order. Handled in batches
 * (subscribeBatchWithoutInbox): such a burst's cancels come back all at once, and one
 * span and one ack flush for the lot, instead of one each, take a sixth of this
 * process's work off the burst (bench/bottlenecks.md §22).
 */
export const onOrderCancelled =
  (expirations: OrderExpirations): PlainBatchEventHandler<'order.cancelled'> =>
  async (events) => {
    await Promise.all(
      events
        .filter((event) => !cancelledByOwnExpiry(event))
        .map((event) => expirations.cancel(event.data.id)),
    );
  };
