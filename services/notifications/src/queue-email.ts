import type { Kysely } from 'kysely';
import type { NotificationsDatabase } from './db/schema.js';
import {
  type EmailKind,
  type ParamsOf,
  render,
  SECRET_KINDS,
  type Site,
} from './emails/templates.js';
import { lockUser } from './users.js';

/** What every email needs beyond its content: where links lead and whose name it carries. */
export interface MailSettings {
  site: Site;
  /** The domain of the From address: Message-IDs are `<event.kind@domain>`. */
  messageIdDomain: string;
  /** How long a hold email waits before it may go (HOLD_EMAIL_DELAY_MS). */
  holdEmailDelayMs: number;
}

export interface EmailRequest<K extends EmailKind> {
  /** The event that causes the email: one email per (event, kind), ever. */
  eventId: string;
  kind: K;
  /** The recipient; without `address`, the users replica says where it goes. */
  to: { userId: string; address?: string };
  params: ParamsOf<K>;
  /** When the email stops being true (a hold's end): not sent after it, however late. */
  staleAfter?: Date;
  /** The order whose cancellation makes the email untrue: given up then, if still unsent. */
  untilOrderEnds?: string;
  /** Not sent before this (a hold email waits for a quick refusal): at once when absent. */
  notBefore?: Date;
}

/**
 * The Message-ID of the email an event causes: the same on every try, so a copy
 * resent after a crash (between the server's accept and our mark-sent) is
 * recognisable as the same message by the receiving system and by people.
 */
export function messageIdOf(eventId: string, kind: EmailKind, domain: string): string {
  return `<${eventId}.${kind}@${domain}>`;
}

/**
 * Records the email in the consumer's transaction: it commits with the inbox row
 * or not at all. A recipient the users replica does not know yet is parked
 * (no address) until their user event arrives; the sender sends the rest.
 */
export async function queueEmail<K extends EmailKind>(
  trx: Kysely<NotificationsDatabase>,
  mail: MailSettings,
  request: EmailRequest<K>,
): Promise<void> {
  const { eventId, kind, to } = request;
  if (!to.address) await lockUser(trx, to.userId);
  const address =
    to.address ??
    (await trx.selectFrom('users').select('email').where('id', '=', to.userId).executeTakeFirst())
      ?.email ??
    null;
  const email = render(mail.site, kind, request.params);
  await trx
    .insertInto('emails')
    .values({
      event_id: eventId,
      kind,
      user_id: to.userId,
      to_address: address,
      subject: email.subject,
      text: email.text,
      html: email.html,
      carries_secret: SECRET_KINDS.has(kind),
      message_id: messageIdOf(eventId, kind, mail.messageIdDomain),
      last_error: null,
      stale_after: request.staleAfter ?? null,
      order_id: request.untilOrderEnds ?? null,
      ...(request.notBefore ? { next_attempt_at: request.notBefore } : {}),
    })
    .onConflict((conflict) => conflict.columns(['event_id', 'kind']).doNothing())
    .execute();
}
