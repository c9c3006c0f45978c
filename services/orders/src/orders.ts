import { fromCents, orderStatuses } from '@gittix/common';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { OrdersDatabase, OrdersTable } from './db/schema.js';

/** An order as the API shows it: the routes' schema, and the type from it. */
export const orderSchema = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  status: z.enum(orderStatuses),
  expiresAt: z.iso.datetime(),
  version: z.number().int(),
  ticket: z.object({ id: z.uuid(), title: z.string(), price: z.number() }),
});
export type Order = z.output<typeof orderSchema>;

export type OrderRow = Selectable<OrdersTable>;

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    expiresAt: row.expires_at.toISOString(),
    version: row.version,
    ticket: {
      id: row.ticket_id,
      title: row.ticket_title,
      price: fromCents(row.ticket_price_cents),
    },
  };
}

/** The user's orders, newest first. */
export async function listOrders(db: Kysely<OrdersDatabase>, userId: string): Promise<Order[]> {
  const rows = await db
    .selectFrom('orders')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toOrder);
}

/** One of the user's orders; someone else's order is as unknown as a missing one. */
export async function findOrder(
  db: Kysely<OrdersDatabase>,
  userId: string,
  orderId: string,
): Promise<OrderRow | undefined> {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', orderId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}
