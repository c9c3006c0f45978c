import { type EventHandler, handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrderCancelled } from '../order-replica.js';
import { type RefundDeps, refundIfPaid } from '../refund-cancelled-order.js';

/** order.cancelled: the replica says cancelled, and a payment that slipped through is refunded. */
export function onOrderCancelled(
  db: Kysely<PaymentsDatabase>,
  deps: Omit<RefundDeps, 'logger'>,
): EventHandler<'order.cancelled'> {
  return handleOnce(db, 'payments_order.cancelled', async (trx, event, { logger }) => {
    await applyOrderCancelled(trx, event.data);
    const order = await trx
      .selectFrom('orders')
      .select('status')
      .where('id', '=', event.data.id)
      .executeTakeFirstOrThrow();
    if (order.status === 'cancelled') await refundIfPaid(trx, { ...deps, logger }, event.data.id);
  });
}
