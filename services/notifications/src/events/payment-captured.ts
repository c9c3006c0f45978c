import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { recordOrder } from '../orders.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/** payment.captured → the buyer's receipt ("Your ticket") and the seller's "Sold" with the proceeds. */
export const onPaymentCaptured =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'payment.captured'> =>
  async (trx, { id, data }) => {
    const order = await recordOrder(trx, {
      id: data.orderId,
      buyer_id: data.userId,
      seller_id: data.sellerId,
    });
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'receipt',
      to: { userId: data.userId },
      params: { orderId: data.orderId, title: order.ticket_title, amount: data.amount },
    });
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'sold',
      to: { userId: data.sellerId },
      params: { title: order.ticket_title, amount: data.amount, fee: data.fee },
    });
  };
