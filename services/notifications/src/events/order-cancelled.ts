import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { endOrder } from '../orders.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/**
 * order.cancelled with reason `expired` → "Your hold has expired" to the buyer. A
 * buyer's own cancellation or a refusal sends nothing. Orders names the reason and
 * the buyer on every order.cancelled; events from before it did carry neither, so
 * replaying one sends nothing.
 */
export const onOrderCancelled =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'order.cancelled'> =>
  async (trx, { id, data }, context) => {
    const { logger } = context;
    const order = await endOrder(
      trx,
      {
        id: data.id,
        buyer_id: data.userId ?? null,
        ticket_id: data.ticket.id,
      },
      context,
    );
    if (data.reason !== 'expired') return;
    if (!order.buyer_id) {
      logger.warn({ orderId: data.id }, 'expired hold of an unknown buyer: no email');
      return;
    }
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'hold_expired',
      to: { userId: order.buyer_id },
      params: { title: order.ticket_title, ticketId: order.ticket_id },
    });
  };
