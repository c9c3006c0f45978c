import type { EventHandler } from '@gittix/common';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrderCreated } from '../order-replica.js';

/** order.created → the order enters the replica (or fills in a row its cancel made). */
export const onOrderCreated: EventHandler<PaymentsDatabase, 'order.created'> = (trx, event) =>
  applyOrderCreated(trx, event.data);
