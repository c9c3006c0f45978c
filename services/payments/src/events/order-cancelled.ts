import type { EventHandler } from '@gittix/common';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrderCancelled } from '../order-replica.js';
import { schedule } from '../settle.js';

/**
 * order.cancelled → the replica says cancelled, and the order's authorization is
 * voided (the buyer is never charged). A capture can only follow order.completed,
 * which orders never sends for a cancelled order; a captured payment found here
 * (an older release's charge) is refunded. A pending attempt is voided by
 * recordAuthorization, which sees this cancel through the order row's lock.
 */
export const onOrderCancelled: EventHandler<PaymentsDatabase, 'order.cancelled'> = async (
  trx,
  event,
  { logger },
) => {
  await applyOrderCancelled(trx, event.data);
  const order = await trx
    .selectFrom('orders')
    .select('status')
    .where('id', '=', event.data.id)
    .executeTakeFirstOrThrow();
  if (order.status !== 'cancelled') return;
  const payment = await trx
    .selectFrom('payments')
    .select(['id', 'status', 'next_action'])
    .where('order_id', '=', event.data.id)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) return;
  if (payment.status === 'authorized' && payment.next_action !== 'void') {
    await schedule(trx, payment.id, 'void');
    logger.info({ orderId: event.data.id, paymentId: payment.id }, 'void scheduled');
  } else if (payment.status === 'captured' && payment.next_action !== 'refund') {
    await schedule(trx, payment.id, 'refund');
    logger.warn({ orderId: event.data.id, paymentId: payment.id }, 'refund scheduled');
  }
};
