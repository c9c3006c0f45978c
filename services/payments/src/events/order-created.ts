import { type EventHandler, handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrderCreated } from '../order-replica.js';

/** order.created: the order enters the replica (or fills in a row its cancel made). */
export function onOrderCreated(db: Kysely<PaymentsDatabase>): EventHandler<'order.created'> {
  return handleOnce(db, 'payments_order.created', async (trx, event) => {
    await applyOrderCreated(trx, event.data);
  });
}
