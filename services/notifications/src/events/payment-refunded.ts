import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { recordOrder } from '../orders.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/**
 * payment.refunded → "Your payment for <title> was refunded" to the buyer, or "… was
 * returned by your card issuer" after their chargeback.
 */
export const onPaymentRefunded =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'payment.refunded'> =>
  async (trx, { id, data }) => {
    // The order's events named its ticket's title (the refund may come before them: "your ticket").
    const order = await recordOrder(trx, {
      id: data.orderId,
      buyer_id: data.userId,
      ticket_id: data.ticketId,
    });
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'refunded',
      to: { userId: data.userId },
      params: {
        orderId: data.orderId,
        title: order.ticket_title,
        amount: data.amount,
        by: data.by,
      },
    });
  };
