import { type Subscription, subscribe } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { PaymentsDatabase } from '../db/schema.js';
import type { PaymentProvider } from '../providers/index.js';
import { onOrderCancelled } from './order-cancelled.js';
import { onOrderCreated } from './order-created.js';

export interface PaymentsConsumerDeps {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
}

/** Everything the payments service consumes. */
export function paymentsSubscriptions(deps: PaymentsConsumerDeps): Subscription[] {
  const { db, ...refund } = deps;
  return [
    subscribe('order.created', onOrderCreated(db)),
    subscribe('order.cancelled', onOrderCancelled(db, refund)),
  ];
}
