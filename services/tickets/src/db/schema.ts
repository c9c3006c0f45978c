import type { TicketStatus } from '@gittix/common';
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
  status: Generated<TicketStatus>;
  /** The event the ticket is for, null for a listing without one. */
  event_id: string | null;
  /** The event's start, copied from it (events never move). */
  event_starts_at: Date | null;
}

/** The catalogue: what people shop by. */
export interface EventsTable {
  id: Generated<string>;
  name: string;
  venue: string;
  city: string;
  starts_at: Date;
  created_by: string;
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
  /** When the first event of this order arrived (pruning's clock). */
  seen_at: ColumnType<Date, Date | undefined, Date>;
}

export interface TicketsDatabase {
  tickets: TicketsTable;
  events: EventsTable;
  orders_seen: OrdersSeenTable;
}
