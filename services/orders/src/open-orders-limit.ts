export const TOO_MANY_OPEN_ORDERS = 'Too many open orders: pay for or cancel one first';

/**
 * The open-orders limit: a buyer holding `max` unpaid orders whose hold has not
 * run out gets no new one (429), so one script cannot reserve the whole
 * inventory. An order past its expiresAt does not count: it is only waiting to
 * be cancelled.
 *
 * Race-safe in two statements of the transaction that inserts the order
 * (create-order.ts, where $2 is the buyer and $7 the limit):
 *   1. BUYER_LOCK_KEY is the key of a transaction-scoped advisory lock on the
 *      buyer, taken by the statement that reads the ticket and held until commit;
 *   2. the INSERT carries OPEN_ORDERS_BELOW_SQL as its condition. Its snapshot is
 *      taken after the lock is held, so a buyer's parallel orders are counted one
 *      after another (other buyers are not held up); an INSERT that inserts
 *      nothing was refused by the limit.
 */
export const BUYER_LOCK_KEY = `hashtextextended('open-orders:' || $2::text, 0)`;

/** The INSERT's condition: fewer than $7 open orders of the buyer $2 (see BUYER_LOCK_KEY). */
export const OPEN_ORDERS_BELOW_SQL = `(
  SELECT count(*) FROM orders
  WHERE user_id = $2::uuid AND status IN ('created', 'awaiting:payment') AND expires_at > now()
) < $7::integer`;
