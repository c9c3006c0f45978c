import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { recordOrder } from '../orders.js';

/** order.completed → no email (the receipt waits for the capture); the ticket's title and seller are noted. */
export const onOrderCompleted: EventHandler<NotificationsDatabase, 'order.completed'> = async (
  trx,
  { data },
) => {
  await recordOrder(trx, {
    id: data.id,
    buyer_id: data.userId,
    seller_id: data.ticket.userId,
    ticket_id: data.ticket.id,
    ticket_title: data.ticket.title,
  });
};
