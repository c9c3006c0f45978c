import type { EventHandler } from '@gittix/common';
import { completeOrder } from '../complete-order.js';
import type { OrdersDatabase } from '../db/schema.js';
import { countAfterCommit } from '../metrics.js';

/** payment.created → the order is paid: it completes (unless it expired first). */
export const onPaymentCreated: EventHandler<OrdersDatabase, 'payment.created'> = async (
  trx,
  event,
  context,
) => {
  const order = { orderId: event.data.orderId, paymentId: event.data.id };
  if (await completeOrder(trx, order, context.logger)) countAfterCommit(context, 'completed');
};
