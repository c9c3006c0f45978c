import type { PlainEventHandler } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';

/** order.created → schedule its expiry (a redelivery finds the job and adds nothing). */
export const onOrderCreated =
  (expirations: OrderExpirations): PlainEventHandler<'order.created'> =>
  async (event) => {
    await expirations.schedule({ orderId: event.data.id, expiresAt: event.data.expiresAt });
  };
