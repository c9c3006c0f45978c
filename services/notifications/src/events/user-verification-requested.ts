import type { EventHandler } from '@gittix/common';
import type { NotificationsDatabase } from '../db/schema.js';
import { linkToken } from '../link-token.js';
import { type MailSettings, queueEmail } from '../queue-email.js';

/** user.verification_requested → "Verify your email", to the address the token was made for. */
export const onUserVerificationRequested =
  (
    mail: MailSettings,
    emailTokenKey: string,
  ): EventHandler<NotificationsDatabase, 'user.verification_requested'> =>
  (trx, { id, type, data }) =>
    queueEmail(trx, mail, {
      eventId: id,
      kind: 'verify_email',
      to: { userId: data.userId, address: data.email },
      params: { token: linkToken(emailTokenKey, type, data) },
    });
