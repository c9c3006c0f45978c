import { subscribe } from '@gittix/common';
import { onOrderCancelled, type RefundSettings } from './order-cancelled.js';
import { onOrderCreated } from './order-created.js';

/** Everything the payments service consumes, one durable consumer per subject. */
export function paymentsSubscriptions(refunds: RefundSettings) {
  return [
    subscribe('order.created', onOrderCreated),
    subscribe('order.cancelled', onOrderCancelled(refunds)),
  ];
}
