import type { OrderStatus, TicketStatus } from '@gittix/common';
import type { ColumnType, Generated } from 'kysely';

/** The replica of the tickets service's tickets, kept by ticket.created/updated. */
export interface TicketsTable {
  id: string;
  title: string;
  price_cents: number;
  user_id: string;
  /** The tickets service's version; only a newer one is applied. */
  version: number;
  order_id: string | null;
  status: Generated<TicketStatus>;
  event_id: string | null;
  /** When the ticket's event starts: no order after that. */
  event_starts_at: Date | null;
}

export interface OrdersTable {
  id: Generated<string>;
  user_id: string;
  ticket_id: string;
  /** What the buyer saw when ordering: the title and price are kept with the order. */
  ticket_title: string;
  ticket_price_cents: number;
  status: OrderStatus;
  expires_at: Date;
  version: Generated<number>;
  /** The payment that reached this order, even one that arrived after it was cancelled. */
  payment_id: string | null;
  created_at: ColumnType<Date, never, never>;
}

export interface OrdersDatabase {
  tickets: TicketsTable;
  orders: OrdersTable;
}
