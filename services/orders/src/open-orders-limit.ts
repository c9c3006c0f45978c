import { type RawBuilder, type SqlBool, sql } from 'kysely';

export const TOO_MANY_OPEN_ORDERS = 'Too many open orders: pay for or cancel one first';

/**
 * The open-orders limit: a buyer holding `max` unpaid orders whose hold has not
 * run out gets no new one (429), so one script cannot reserve the whole
 * inventory. An order past its expiresAt does not count: it is only waiting to
 * be cancelled.
 *
 * Race-safe in two statements of the transaction that inserts the order:
 *   1. `lockBuyer(userId)` takes a transaction-scoped advisory lock on the buyer
 *      (createOrder reads the ticket in the same statement), held until commit;
 *   2. the INSERT carries `openOrdersBelow(userId, max)` as its condition. Its
 *      snapshot is taken after the lock is held, so a buyer's parallel orders are
 *      counted one after another (other buyers are not held up); an INSERT that
 *      inserts nothing was refused by the limit.
 */
export function lockBuyer(userId: string): RawBuilder<unknown> {
  return sql`pg_advisory_xact_lock(hashtextextended(${`open-orders:${userId}`}, 0))`;
}

/** The INSERT's condition: fewer than `max` open orders of the buyer (see lockBuyer). */
export function openOrdersBelow(userId: string, max: number): RawBuilder<SqlBool> {
  return sql<SqlBool>`(
    SELECT count(*) FROM orders
    WHERE user_id = ${userId} AND status IN ('created', 'awaiting:payment') AND expires_at > now()
  ) < ${max}`;
}
