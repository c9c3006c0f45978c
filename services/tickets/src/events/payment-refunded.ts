import type { EventHandler } from '@gittix/common';
import type { TicketsDatabase } from '../db/schema.js';
import { recordPurchaseRefund } from '../purchases.js';

/**
 * payment.refunded → the purchase of that order is refunded: the ticket stays sold
 * (never relisted), its buyer may no longer download the file, and /purchased says so.
 */
export const onPaymentRefunded: EventHandler<TicketsDatabase, 'payment.refunded'> = (trx, event) =>
  recordPurchaseRefund(trx, { orderId: event.data.orderId, paymentId: event.data.id });
