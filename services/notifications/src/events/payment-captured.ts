import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import type { TicketFileState } from '../emails/templates.js';
import { endOrder } from '../orders.js';
import { type MailSettings, queueEmail } from '../queue-email.js';
import { recordSale } from '../tickets.js';

/**
 * payment.captured → the buyer's receipt ("Your ticket", with the download link when
 * the ticket's file is attached) and the seller's "Sold" with the proceeds. A capture
 * follows the order's completion, but subjects are consumed apart and it can be handled
 * first: it ends the hold too, so no "pay by …" goes after (or with) the receipt.
 */
export const onPaymentCaptured =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'payment.captured'> =>
  async (trx, { id, data }, context) => {
    const order = await endOrder(
      trx,
      {
        id: data.orderId,
        buyer_id: data.userId,
        seller_id: data.sellerId,
        ticket_id: data.ticketId,
      },
      context,
    );
    // Older events do not name the ticket; the order's events may have told it.
    const ticketId = data.ticketId ?? order.ticket_id;
    let file: TicketFileState = 'unknown';
    if (ticketId) {
      const { hasFile } = await recordSale(trx, ticketId, {
        orderId: data.orderId,
        buyerId: data.userId,
      });
      file = hasFile ? 'attached' : 'awaited';
    }
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'receipt',
      to: { userId: data.userId },
      params: { orderId: data.orderId, title: order.ticket_title, amount: data.amount, file },
    });
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'sold',
      to: { userId: data.sellerId },
      params: { title: order.ticket_title, amount: data.amount, fee: data.fee },
    });
  };
