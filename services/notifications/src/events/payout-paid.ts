import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/** payout.paid → "Payout" to the seller. */
export const onPayoutPaid =
  (mail: MailSettings): EventHandler<NotificationsDatabase, 'payout.paid'> =>
  (trx, { id, data }) =>
    queueEmail(trx, mail, {
      eventId: id,
      kind: 'payout',
      to: { userId: data.userId },
      params: { amount: data.amount },
    });
