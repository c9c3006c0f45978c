import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { endOrder } from '../orders.js';

/**
 * order.completed → no email (the receipt waits for the capture); the ticket's title
 * and seller are noted. The hold is over: a hold email not sent yet ("pay by …", still
 * waiting out HOLD_EMAIL_DELAY_MS for a buyer who paid at once) is given up, so it
 * never arrives after the receipt.
 */
export const onOrderCompleted: EventHandler<NotificationsDatabase, 'order.completed'> = async (
  trx,
  { data },
  context,
) => {
  await endOrder(
    trx,
    {
      id: data.id,
      buyer_id: data.userId,
      seller_id: data.ticket.userId,
      ticket_id: data.ticket.id,
      ticket_title: data.ticket.title,
    },
    context,
  );
};
