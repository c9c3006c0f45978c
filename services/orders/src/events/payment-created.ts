import type { EventHandler } from '@gittix/common';
import { completeOrder } from '../complete-order.js';
import type { OrdersDatabase } from '../db/schema.js';

/** payment.created → the order is paid: it completes (unless it expired first). */
export const onPaymentCreated: EventHandler<OrdersDatabase, 'payment.created'> = (
  trx,
  event,
  { logger },
) => completeOrder(trx, { orderId: event.data.orderId, paymentId: event.data.id }, logger);
