import type { OrderStatus } from '@gittix/common';
import type { ColumnType, Generated } from 'kysely';

/**
 * The replica of orders, fed by order.created and order.cancelled. A row made by
 * an order.cancelled that overtook its order.created knows only id, status and
 * version until the created event fills in the rest.
 */
export interface OrdersTable {
  id: string;
  user_id: string | null;
  price_cents: number | null;
  status: OrderStatus;
  expires_at: Date | null;
  version: number;
  /** The seller, from order.created's `ticket.userId` (null on older events). */
  seller_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the ticket's event starts: the seller's proceeds are pending until then. */
  event_starts_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The ticket bought (null on rows from before it was kept, or made by an overtaking cancel). */
  ticket_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export const paymentStatuses = ['pending', 'authorized', 'captured', 'voided', 'refunded'] as const;
/** `pending`: recorded, the provider may or may not have authorized it yet. */
export type PaymentStatus = (typeof paymentStatuses)[number];

/** What the settler still has to ask the provider to do for a payment. */
export type PaymentAction = 'capture' | 'void' | 'refund';

/** One payment attempt per order (unique order_id), recorded before the provider is called. */
export interface PaymentsTable {
  id: Generated<string>;
  order_id: string;
  user_id: string;
  amount_cents: number;
  /** The platform's part, set when captured. */
  fee_cents: Generated<number>;
  status: PaymentStatus;
  /** Which provider charged it (`sandbox`, `stripe`), so a refund goes back through it. */
  provider: string;
  /** The provider's id (a Stripe PaymentIntent id); null while pending. */
  provider_id: string | null;
  /** The key of the provider call that authorizes it: a retry repeats it. */
  idempotency_key: string | null;
  /** While in the future, a request or the reconciler is talking to the provider about it. */
  claimed_until: Date | null;
  /**
   * When a request last sent its authorization to the provider (set as it claims it;
   * null on rows from before it was kept: `created_at` stands in).
   */
  attempted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  next_action: PaymentAction | null;
  action_attempts: Generated<number>;
  /**
   * When the settler next tries `next_action`. Null with an action: parked, never tried
   * again by itself (a refund the provider refuses because the charge is disputed;
   * `last_error` says so) until Stripe's charge.dispute.closed makes it due again (won)
   * or ends it (lost); an operator resumes it by setting this to now().
   */
  next_attempt_at: Date | null;
  last_error: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: Generated<Date>;
  captured_at: Date | null;
  voided_at: Date | null;
  refunded_at: Date | null;
  /** The provider's refund that gave the money back (Stripe `re_…`); null for a chargeback. */
  refund_id: string | null;
  /**
   * The dispute the platform lost, whose chargeback gave the buyer the money back (Stripe
   * `du_…`/`dp_…`): `refunded` with no refund of ours. Null otherwise.
   */
  dispute_id: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * What the processor kept of the captured sale, in cents, posted to the ledger
   * (`processing_fee`); null until the processor says (or for a provider that keeps none).
   */
  processing_fee_cents: ColumnType<number | null, number | null | undefined, number | null>;
  /** When the processor was last asked for that fee (null: not yet). */
  processing_fee_checked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The processor's fees for a dispute of the charge, posted so far (`dispute_fee`). */
  dispute_fee_cents: Generated<number>;
  /**
   * How many of the dispute's balance transactions those fees were read from: the list
   * only grows, so news listing no more than this is older and changes nothing.
   */
  dispute_funds_seen: Generated<number>;
  /** Refunded in part at the provider, in all (Stripe's `amount_refunded`); the sale stands. */
  refunded_cents: Generated<number>;
  /** Taken back by a chargeback of part of the charge (`dispute_id`); the sale stands. */
  charged_back_cents: Generated<number>;
}

/** The replica of auth's users: payouts need a verified email. */
export interface UsersTable {
  id: string;
  email: string;
  email_verified: boolean;
  version: number;
}

export interface PayoutsTable {
  id: Generated<string>;
  user_id: string;
  amount_cents: number;
  /** `cancelled`: refunds made while it waited to be sent took back all it carried. */
  status: 'pending' | 'paid' | 'cancelled';
  provider: string;
  /** The provider's id of the money movement (a Stripe transfer `tr_…`); null while pending. */
  provider_id: string | null;
  /** Where the money goes: the seller's connected account (Stripe), null in the sandbox. */
  destination: ColumnType<string | null, string | null | undefined, string | null>;
  /** While in the future, a request or the settler is talking to the provider about it. */
  claimed_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Provider calls that failed for it (the settler backs off by this). */
  attempts: Generated<number>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  /** The key of its provider call; null: `payout_<id>`. A new one when refunds cut it. */
  idempotency_key: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: Generated<Date>;
}

/** A seller's account at the provider that payouts go to (a Stripe Connect Express account). */
export interface PayoutAccountsTable {
  user_id: string;
  provider: string;
  /** `acct_…` */
  account_id: string;
  /** Stripe's `payouts_enabled`: onboarding is done and money can go out. */
  payouts_enabled: Generated<boolean>;
  details_submitted: Generated<boolean>;
  /** When the provider reported the state above (an older report changes nothing). */
  state_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: Generated<Date>;
}

export type LedgerKind =
  | 'charge'
  | 'fee'
  | 'proceeds'
  | 'payout'
  | 'refund'
  | 'processing_fee'
  | 'dispute_fee'
  | 'partial_refund';

/** One line of a posting; the lines of a posting (and so the whole ledger) sum to zero. */
export interface LedgerEntriesTable {
  id: Generated<string>;
  posting_id: string;
  /**
   * `provider` (money in or out through the card processor), `platform:fees`,
   * `platform:processing` (what the processor kept), `seller:<id>`.
   */
  account: string;
  /** Signed cents: positive is owed to the account's holder. */
  amount_cents: number;
  kind: LedgerKind;
  payment_id: string | null;
  payout_id: string | null;
  /** A seller's proceeds are pending until then. */
  available_at: Generated<Date>;
  created_at: ColumnType<Date, never, never>;
}

/** Declined attempts: their count numbers the next attempt's idempotency key. */
export interface PaymentDeclinesTable {
  order_id: string;
  attempt: number;
  reason: string;
  declined_at: ColumnType<Date, never, never>;
}

export interface PaymentsDatabase {
  orders: OrdersTable;
  payments: PaymentsTable;
  payment_declines: PaymentDeclinesTable;
  users: UsersTable;
  payouts: PayoutsTable;
  payout_accounts: PayoutAccountsTable;
  ledger_entries: LedgerEntriesTable;
}
