import { subscribe, subscribeBatch } from '@gittix/common';
import { onOrderCancelled } from './order-cancelled.js';
import { onOrderCompleted } from './order-completed.js';
import { onOrderCreated } from './order-created.js';
import { onUserChanged } from './user-changed.js';

/** Everything the payments service consumes, one durable consumer per subject. */
export const paymentsSubscriptions = [
  subscribe('order.created', onOrderCreated),
  subscribeBatch('order.cancelled', onOrderCancelled),
  subscribe('order.completed', onOrderCompleted),
  subscribe('user.created', onUserChanged),
  subscribe('user.updated', onUserChanged),
];
