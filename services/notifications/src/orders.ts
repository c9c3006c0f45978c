import { type Kysely, sql } from 'kysely';
import type { NotificationsDatabase, OrdersTable } from './db/schema.js';

type OrderFacts = Pick<OrdersTable, 'id'> & Partial<Omit<OrdersTable, 'id'>>;

/**
 * Records what an order event tells about an order. The facts never change once
 * known, so whatever arrives first fills them and nothing overwrites them.
 */
export async function recordOrder(
  trx: Kysely<NotificationsDatabase>,
  facts: OrderFacts,
): Promise<Omit<OrdersTable, 'id'>> {
  const values = {
    id: facts.id,
    buyer_id: facts.buyer_id ?? null,
    seller_id: facts.seller_id ?? null,
    ticket_id: facts.ticket_id ?? null,
    ticket_title: facts.ticket_title ?? null,
  };
  const known = (column: keyof typeof values) =>
    sql<string | null>`COALESCE(orders.${sql.ref(column)}, excluded.${sql.ref(column)})`;
  return trx
    .insertInto('orders')
    .values(values)
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet({
        buyer_id: known('buyer_id'),
        seller_id: known('seller_id'),
        ticket_id: known('ticket_id'),
        ticket_title: known('ticket_title'),
      }),
    )
    .returning(['buyer_id', 'seller_id', 'ticket_id', 'ticket_title'])
    .executeTakeFirstOrThrow();
}
