import type { Logger } from '@gittix/common';
import { sql, type Transaction } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';

/**
 * A payment went through: an open order becomes complete. If expiry cancelled
 * it first, it stays cancelled (the payments service refunds on order.cancelled);
 * either way the order keeps the payment's id. The conditional UPDATE is what
 * lets only one of completion and expiry win.
 */
export async function completeOrder(
  trx: Transaction<OrdersDatabase>,
  { orderId, paymentId }: { orderId: string; paymentId: string },
  logger: Logger,
): Promise<void> {
  const completed = await trx
    .updateTable('orders')
    .set({ status: 'complete', version: sql`version + 1`, payment_id: paymentId })
    .where('id', '=', orderId)
    .where('status', 'in', ['created', 'awaiting:payment'])
    .returning('id')
    .executeTakeFirst();
  if (completed) return;
  const recorded = await trx
    .updateTable('orders')
    .set({ payment_id: paymentId })
    .where('id', '=', orderId)
    .returning('status')
    .executeTakeFirst();
  if (!recorded) logger.warn({ orderId, paymentId }, 'payment for an unknown order ignored');
  else logger.info({ orderId, paymentId, status: recorded.status }, 'payment for a closed order');
}
