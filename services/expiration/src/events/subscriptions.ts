import { subscribeBatchWithoutInbox, subscribeWithoutInbox } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';
import { onOrderCancelled } from './order-cancelled.js';
import { onOrderCreated } from './order-created.js';

/**
 * Everything the expiration service consumes. No inbox here (no database):
 * the job id makes scheduling idempotent, and removing a job twice is harmless.
 */
export function expirationSubscriptions(expirations: OrderExpirations) {
  return [
    subscribeWithoutInbox('order.created', onOrderCreated(expirations)),
    subscribeBatchWithoutInbox('order.cancelled', onOrderCancelled(expirations)),
  ];
}
