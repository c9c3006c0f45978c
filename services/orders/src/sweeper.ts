import { type BackgroundTask, type Logger, periodicTask } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { OrdersDatabase } from './db/schema.js';
import { expireOrder } from './expire-order.js';
import { orderOutcomes } from './metrics.js';

export interface SweepOptions {
  /** How long past its expiresAt an unpaid order is left to the expiration service. */
  graceSeconds: number;
  /** Orders cancelled per transaction. */
  batchSize?: number;
  logger: Logger;
  /** Where the orders it expires are counted (gittix_orders_total). */
  metrics?: Registry;
}

/**
 * Cancels open orders whose hold ran out more than `graceSeconds` ago, through the
 * same path as expiration.complete (expireOrder), so a lost Redis job never leaves
 * an order, and its ticket, held forever. The rows are claimed with
 * FOR UPDATE SKIP LOCKED: several replicas sweeping at once share the work and
 * never wait for one another; an order a payment or an expiry is completing right
 * now is skipped (its row is locked) and looked at again next time. Returns how
 * many were cancelled.
 */
export async function sweepOverdueOrders(
  db: Kysely<OrdersDatabase>,
  { graceSeconds, batchSize = 100, logger, metrics }: SweepOptions,
): Promise<number> {
  const swept = await db.transaction().execute(async (trx) => {
    const overdue = await trx
      .selectFrom('orders')
      .select('id')
      .where('status', 'in', ['created', 'awaiting:payment'])
      .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
      .orderBy('expires_at')
      .limit(batchSize)
      .forUpdate()
      .skipLocked()
      .execute();
    let expired = 0;
    for (const { id } of overdue) if (await expireOrder(trx, id, logger)) expired += 1;
    if (overdue.length > 0) {
      logger.warn(
        { orders: overdue.map((o) => o.id) },
        'overdue orders cancelled by the sweeper (their expiration never arrived)',
      );
    }
    return { overdue: overdue.length, expired };
  });
  if (metrics && swept.expired > 0)
    orderOutcomes(metrics).inc({ outcome: 'expired' }, swept.expired);
  return swept.overdue;
}

export interface OrderSweeperOptions extends SweepOptions {
  db: Kysely<OrdersDatabase>;
  intervalMs: number;
}

/** The sweeper as a background task: a sweep every `intervalMs`, at once again after a full batch. */
export function orderSweeper({ db, intervalMs, ...sweep }: OrderSweeperOptions): BackgroundTask {
  const batchSize = sweep.batchSize ?? 100;
  return periodicTask({
    name: 'order sweeper',
    intervalMs,
    logger: sweep.logger,
    run: async () => (await sweepOverdueOrders(db, { ...sweep, batchSize })) === batchSize,
  });
}
