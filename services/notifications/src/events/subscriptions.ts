import { subscribe } from '@gittix/common';
import type { MailSettings } from '../queue-email.js';
import { onOrderCancelled } from './order-cancelled.js';
import { onOrderCompleted } from './order-completed.js';
import { onOrderCreated } from './order-created.js';
import { onPaymentCaptured } from './payment-captured.js';
import { onPaymentPartlyRefunded } from './payment-partly-refunded.js';
import { onPaymentRefunded } from './payment-refunded.js';
import { onPayoutPaid } from './payout-paid.js';
import { onTicketFileAttached } from './ticket-file-attached.js';
import { onUserCreated } from './user-created.js';
import { onUserPasswordResetRequested } from './user-password-reset-requested.js';
import { onUserUpdated } from './user-updated.js';
import { onUserVerificationRequested } from './user-verification-requested.js';

/** Everything the notifications service consumes, one durable consumer per subject. */
export function notificationsSubscriptions({
  emailTokenKey,
  ...mail
}: MailSettings & {
  /** EMAIL_TOKEN_KEY: opens the link tokens auth seals. */
  emailTokenKey: string;
}) {
  return [
    subscribe('user.created', onUserCreated),
    subscribe('user.updated', onUserUpdated),
    subscribe('user.verification_requested', onUserVerificationRequested(mail, emailTokenKey)),
    subscribe('user.password_reset_requested', onUserPasswordResetRequested(mail, emailTokenKey)),
    subscribe('order.created', onOrderCreated(mail)),
    subscribe('order.completed', onOrderCompleted),
    subscribe('order.cancelled', onOrderCancelled(mail)),
    subscribe('payment.captured', onPaymentCaptured(mail)),
    subscribe('payment.refunded', onPaymentRefunded(mail)),
    subscribe('payment.partly_refunded', onPaymentPartlyRefunded(mail)),
    subscribe('payout.paid', onPayoutPaid(mail)),
    subscribe('ticket.file_attached', onTicketFileAttached(mail)),
  ];
}
