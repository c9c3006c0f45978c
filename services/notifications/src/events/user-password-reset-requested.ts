import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { linkToken } from '../link-token.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/** user.password_reset_requested → "Reset your password", to the address that asked. */
export const onUserPasswordResetRequested =
  (
    mail: MailSettings,
    emailTokenKey: string,
  ): EventHandler<NotificationsDatabase, 'user.password_reset_requested'> =>
  (trx, { id, type, data }) =>
    queueEmail(trx, mail, {
      eventId: id,
      kind: 'reset_password',
      to: { userId: data.userId, address: data.email },
      params: { token: linkToken(emailTokenKey, type, data) },
    });
