import { TooManyRequestsError } from '@gittix/common';
import { sql, type Transaction } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';

export const TOO_MANY_OPEN_ORDERS = 'Too many open orders: pay for or cancel one first';

/**
 * Refuses (429) a buyer's new order when they already hold `max` unpaid orders
 * whose hold has not run out, so one script cannot reserve the whole inventory.
 * An order past its expiresAt does not count: it is only waiting to be cancelled.
 *
 * Race-safe: a transaction-scoped advisory lock on the buyer is taken before
 * counting and held until the new order commits, so a buyer's parallel orders are
 * counted one after another (other buyers are not held up). Call it in the
 * transaction that inserts the order.
 */
export async function checkOpenOrdersLimit(
  trx: Transaction<OrdersDatabase>,
  userId: string,
  max: number,
): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`open-orders:${userId}`}, 0))`.execute(
    trx,
  );
  const { open } = await trx
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<string>().as('open'))
    .where('user_id', '=', userId)
    .where('status', 'in', ['created', 'awaiting:payment'])
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  if (Number(open) >= max) throw new TooManyRequestsError(TOO_MANY_OPEN_ORDERS);
}
