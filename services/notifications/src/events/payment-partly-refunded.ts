import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { recordOrder } from '../orders.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/**
 * payment.partly_refunded → "Part of your payment for <title> was refunded" (or returned
 * by the card issuer) to the buyer, and "Part of your sale … was given back" with the cut
 * from their proceeds to the seller (when the event names one: a sale without proceeds
 * posted has no cut to tell).
 */
export const onPaymentPartlyRefunded =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'payment.partly_refunded'> =>
  async (trx, { id, data }) => {
    const order = await recordOrder(trx, {
      id: data.orderId,
      buyer_id: data.userId,
      seller_id: data.sellerId,
      ticket_id: data.ticketId,
    });
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'partly_refunded',
      to: { userId: data.userId },
      params: {
        orderId: data.orderId,
        title: order.ticket_title,
        amount: data.amount,
        refunded: data.refunded,
        by: data.by,
      },
    });
    const sellerId = data.sellerId ?? order.seller_id;
    if (sellerId && data.sellerAmount !== null) {
      await queueEmail(trx, mail, {
        eventId: id,
        kind: 'proceeds_cut',
        to: { userId: sellerId },
        params: {
          title: order.ticket_title,
          amount: data.amount,
          sellerAmount: data.sellerAmount,
          by: data.by,
        },
      });
    }
  };
