import type { ColumnType, Generated } from 'kysely';

export interface TicketsTable {
  id: Generated<string>;
  /** Trimmed, 1–120 characters. */
  title: string;
  /** Integer cents; the API speaks dollars. */
  price_cents: number;
  user_id: string;
  version: Generated<number>;
  /** The order holding the ticket, null when it is available. */
  order_id: string | null;
  created_at: ColumnType<Date, never, never>;
}

/**
 * Every order this service has heard of, so that order.created and
 * order.cancelled converge whatever order they arrive in (see events/order-created.ts).
 */
export interface OrdersSeenTable {
  order_id: string;
  ticket_id: string;
  /** Known once order.created arrived; null when only the cancel was seen so far. */
  expires_at: Date | null;
  cancelled: boolean;
}

export interface TicketsDatabase {
  tickets: TicketsTable;
  orders_seen: OrdersSeenTable;
}
