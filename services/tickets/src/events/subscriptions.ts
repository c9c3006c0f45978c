import { subscribe, subscribeBatch } from '@gittix/common';
import { onOrderCancelled } from './order-cancelled.js';
import { onOrderCompleted } from './order-completed.js';
import { onOrderCreated } from './order-created.js';
import { onPaymentRefunded } from './payment-refunded.js';

/** Everything the tickets service consumes, one durable consumer per subject. */
export const ticketsSubscriptions = [
  subscribe('order.created', onOrderCreated),
  subscribeBatch('order.cancelled', onOrderCancelled),
  subscribe('order.completed', onOrderCompleted),
  subscribe('payment.refunded', onPaymentRefunded),
];
