import type { EventHandler } from '@gittix/common';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrderCompleted } from '../order-replica.js';
import { schedule } from '../settle.js';

/**
 * order.completed → orders completed the order with this payment: capture it.
 * Only an authorized payment is captured (a repeat finds it scheduled or done).
 */
export const onOrderCompleted: EventHandler<PaymentsDatabase, 'order.completed'> = async (
  trx,
  event,
  { logger },
) => {
  await applyOrderCompleted(trx, event.data);
  const payment = await trx
    .selectFrom('payments')
    .select(['id', 'status', 'next_action'])
    .where('id', '=', event.data.paymentId)
    .where('order_id', '=', event.data.id)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) {
    logger.warn({ orderId: event.data.id, paymentId: event.data.paymentId }, 'unknown payment');
    return;
  }
  if (payment.status === 'authorized' && payment.next_action === null) {
    await schedule(trx, payment.id, 'capture');
  }
};
