import type { PlainEventHandler } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';

/** order.cancelled → the order ended early (or expired already): its job must not fire. */
export const onOrderCancelled =
  (expirations: OrderExpirations): PlainEventHandler<'order.cancelled'> =>
  async (event) => {
    await expirations.cancel(event.data.id);
  };
