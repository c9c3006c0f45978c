import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { recordOrder } from '../orders.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/**
 * order.created → "Your ticket is on hold" to the buyer, with the time to pay by.
 * A hold that ran out before the event got here is not announced: the expired
 * email tells the buyer what happened instead. Nor is one that runs out before the
 * email can go (an SMTP outage, a recipient not known yet): it is stale after then,
 * or once the order ends (endOrder), whichever comes first.
 */
export const onOrderCreated =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'order.created'> =>
  async (trx, { id, data }) => {
    const order = await recordOrder(trx, {
      id: data.id,
      buyer_id: data.userId,
      seller_id: data.ticket.userId ?? null,
      ticket_id: data.ticket.id,
      ticket_title: data.ticket.title ?? null,
    });
    if (data.status !== 'created' || Date.parse(data.expiresAt) <= Date.now()) return;
    // Its cancellation was handled first (subjects are consumed apart): no hold to tell of.
    if (order.ended_at) return;
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'hold_placed',
      to: { userId: data.userId },
      params: {
        orderId: data.id,
        title: order.ticket_title,
        price: data.ticket.price,
        expiresAt: data.expiresAt,
      },
      staleAfter: new Date(data.expiresAt),
      untilOrderEnds: data.id,
      // Tickets refuses an order it cannot reserve (sold or withdrawn meanwhile) within
      // moments, and the cancel gives this email up: it waits that long, so a refused
      // buyer is not told to pay for an order that is already cancelled.
      notBefore: new Date(Date.now() + mail.holdEmailDelayMs),
    });
  };
