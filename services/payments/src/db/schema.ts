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
}

/** One successful charge per order (unique order_id). */
export interface PaymentsTable {
  id: Generated<string>;
  order_id: string;
  user_id: string;
  amount_cents: number;
  /** Which provider charged it (`sandbox`, `stripe`), so a refund goes back through it. */
  provider: string;
  /** The provider's charge id, e.g. a Stripe PaymentIntent id. */
  provider_id: string;
  created_at: ColumnType<Date, never, never>;
  /** Set when the order was cancelled after the charge went through. */
  refunded_at: ColumnType<Date | null, never, Date>;
  refund_id: ColumnType<string | null, never, string>;
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
}
