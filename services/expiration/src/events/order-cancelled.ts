import type { EventEnvelope } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';

/** The order ended early (or expired already): its job must not fire. */
export const orderCancelled =
  (expirations: OrderExpirations) => async (event: EventEnvelope<'order.cancelled'>) => {
    await expirations.cancel(event.data.id);
  };
