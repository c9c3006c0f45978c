import type { PlainEventHandler } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';

/**
 * order.cancelled → the order ended early (or expired already): its job must not fire.
 * An order cancelled by its own expiry names that expiration.complete as its cause,
 * whose event id is the order id: its job has fired, so only the mark is set (a burst
 * of expiries no longer costs a BullMQ remove script per order).
 */
export const onOrderCancelled =
  (expirations: OrderExpirations): PlainEventHandler<'order.cancelled'> =>
  async (event) => {
    await expirations.cancel(event.data.id, { jobFired: event.causationId === event.data.id });
  };
