import type { ColumnType, Generated } from 'kysely';

/** The users replica (user.created / user.updated): where each user's email goes. */
export interface UsersTable {
  id: string;
  email: string;
  email_verified: boolean;
  version: number;
}

/**
 * What the order events tell about an order that later emails name: the ticket's
 * title and who bought and sold it. Any of them may arrive first, so every fact is
 * optional and each event fills in what it knows.
 */
export interface OrdersTable {
  id: string;
  buyer_id: string | null;
  seller_id: string | null;
  ticket_id: string | null;
  ticket_title: string | null;
  /** When the order was first known to be cancelled: no hold email after it. */
  ended_at: Date | null;
}

/**
 * One row per email an event causes (unique per event and kind), written in the
 * consumer's inbox transaction; the sender works through the rows that are due.
 * `to_address` null: parked until the users replica knows the recipient.
 */
export interface EmailsTable {
  id: Generated<string>;
  event_id: string;
  kind: string;
  user_id: string | null;
  to_address: string | null;
  subject: string;
  /** Null once sent when the email carried a secret (a sign-in or reset token). */
  text: string | null;
  html: string | null;
  carries_secret: boolean;
  /** Deterministic, so a resend after a crash is recognisable as the same message. */
  message_id: string;
  created_at: ColumnType<Date, never, never>;
  attempts: ColumnType<number, never, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
  sent_at: ColumnType<Date | null, never, Date>;
  /**
   * Given up: the SMTP server refused this message for good (e.g. 550 no such
   * mailbox), or it went out of date (`stale_after`) before it could be sent.
   */
  failed_at: ColumnType<Date | null, never, Date>;
  /** Not sent after this (a hold's pay-by time): it would tell the reader something untrue. */
  stale_after: Date | null;
  /** The order a hold email is about: given up, unsent, once that order is cancelled. */
  order_id: string | null;
}

/**
 * What the ticket events and payment.captured tell about a ticket's download:
 * whether its file is attached, and the paid order (and buyer) it belongs to.
 */
export interface TicketsTable {
  id: string;
  has_file: Generated<boolean>;
  order_id: string | null;
  buyer_id: string | null;
}

export interface NotificationsDatabase {
  users: UsersTable;
  orders: OrdersTable;
  tickets: TicketsTable;
  emails: EmailsTable;
}
