import type { BatchEventHandler } from '@gittix/common';
import { sql } from 'kysely';
import type { PaymentsDatabase } from '../db/schema.js';
import { applyOrdersCancelled } from '../order-replica.js';
import { schedule } from '../settle.js';

/**
 * order.cancelled → the replica says cancelled, and the order's authorization is
 * voided (the buyer is never charged). A capture can only follow order.completed,
 * which orders never sends for a cancelled order; a captured payment found here
 * (an older release's charge) is refunded. A pending attempt is voided by
 * recordAuthorization, which sees this cancel through the order row's lock.
 * Handled in batches (subscribeBatch): orders expiring together are cancelled
 * together, and most of them were never paid.
 */
export const onOrderCancelled: BatchEventHandler<PaymentsDatabase, 'order.cancelled'> = async (
  trx,
  events,
  { logger },
) => {
  await applyOrdersCancelled(
    trx,
    events.map((event) => event.data),
  );
  const payments = await trx
    .selectFrom('payments as p')
    .innerJoin('orders as o', 'o.id', 'p.order_id')
    .select(['p.id', 'p.order_id', 'p.status', 'p.next_action'])
    .where('p.order_id', '=', sql<string>`ANY(${events.map((event) => event.data.id)}::uuid[])`)
    // The replica may hold a newer state than these cancels (never in practice).
    .where('o.status', '=', 'cancelled')
    .orderBy('p.id')
    .forUpdate('p')
    .execute();
  for (const payment of payments) {
    const ids = { orderId: payment.order_id, paymentId: payment.id };
    if (payment.status === 'authorized' && payment.next_action !== 'void') {
      await schedule(trx, payment.id, 'void');
      logger.info(ids, 'void scheduled');
    } else if (payment.status === 'captured' && payment.next_action !== 'refund') {
      await schedule(trx, payment.id, 'refund');
      logger.warn(ids, 'refund scheduled');
    }
  }
};
