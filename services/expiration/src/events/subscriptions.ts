import { type Subscription, subscribe } from '@gittix/common';
import type { OrderExpirations } from '../order-expirations.js';
import { orderCancelled } from './order-cancelled.js';
import { orderCreated } from './order-created.js';

/**
 * Every subject the expiration service consumes. No inbox here (no database):
 * the job id makes scheduling idempotent, and removing a job twice is harmless.
 */
export function expirationSubscriptions(expirations: OrderExpirations): Subscription[] {
  return [
    subscribe('order.created', orderCreated(expirations)),
    subscribe('order.cancelled', orderCancelled(expirations)),
  ];
}
