import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { type MailSettings, queueEmail } from '../queue-email.js';
import { recordFile } from '../tickets.js';

/**
 * ticket.file_attached → when the ticket is already paid for, its buyer hears that
 * the file is ready (their receipt said it was still to come) or, for a replaced
 * file, that they should download the new one. Before the sale, nothing: the
 * receipt will carry the download link.
 */
export const onTicketFileAttached =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'ticket.file_attached'> =>
  async (trx, { id, data }) => {
    const { hadFile, sale } = await recordFile(trx, data.ticketId);
    if (!sale || (hadFile && !data.replaced)) return;
    const order = await trx
      .selectFrom('orders')
      .select('ticket_title')
      .where('id', '=', sale.orderId)
      .executeTakeFirst();
    await queueEmail(trx, mail, {
      eventId: id,
      kind: 'ticket_ready',
      to: { userId: sale.buyerId },
      params: { orderId: sale.orderId, title: order?.ticket_title ?? null, replaced: hadFile },
    });
  };
