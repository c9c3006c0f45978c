import type { EventEnvelope } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';

/** A new order: schedule its expiry (a redelivery finds the job and adds nothing). */
export const orderCreated =
  (expirations: OrderExpirations) => async (event: EventEnvelope<'order.created'>) => {
    await expirations.schedule({ orderId: event.data.id, expiresAt: event.data.expiresAt });
  };
