import type { EventHandler } from '@gittix/common';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrderCancelled } from '../order-replica.js';
import { type RefundDeps, refundIfPaid } from '../refund-cancelled-order.js';

/** How refunds reach the provider; the handler adds its own logger. */
export type RefundSettings = Omit<RefundDeps, 'logger'>;

/** order.cancelled → the replica says cancelled, and a payment that slipped through is refunded. */
export function onOrderCancelled(
  refunds: RefundSettings,
): EventHandler<PaymentsDatabase, 'order.cancelled'> {
  return async (trx, event, { logger }) => {
    await applyOrderCancelled(trx, event.data);
    const order = await trx
      .selectFrom('orders')
      .select('status')
      .where('id', '=', event.data.id)
      .executeTakeFirstOrThrow();
    if (order.status === 'cancelled') {
      await refundIfPaid(trx, { ...refunds, logger }, event.data.id);
    }
  };
}
