import { type BackgroundTask, type Logger, PRUNE_INTERVAL_MS, periodicTask } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';

/**
 * orders_seen (reserve-ticket.ts) remembers every order seen so that events arriving
 * in any order converge. An order's events stop arriving once they have left the
 * stream (NATS_STREAM_MAX_AGE_HOURS), so a row older than the event tables'
 * retention (which outlives the stream) can go, unless its order still holds its
 * ticket. Deleted oldest first, in batches; returns how many.
 */
export async function pruneOrdersSeen(
  db: Kysely<TicketsDatabase>,
  { retentionMs, batchSize = 5_000 }: { retentionMs: number; batchSize?: number },
): Promise<number> {
  const cutoff = new Date(Date.now() - retentionMs);
  let total = 0;
  for (;;) {
    const result = await sql`
      DELETE FROM orders_seen WHERE order_id IN (
        SELECT seen.order_id FROM orders_seen AS seen
        WHERE seen.seen_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM tickets WHERE tickets.order_id = seen.order_id)
        ORDER BY seen.seen_at LIMIT ${batchSize})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

export function ordersSeenPruner(options: {
  db: Kysely<TicketsDatabase>;
  retentionMs: number;
  logger: Logger;
}): BackgroundTask {
  const { db, retentionMs, logger } = options;
  return periodicTask({
    name: 'orders_seen pruning',
    intervalMs: PRUNE_INTERVAL_MS,
    logger,
    run: async () => {
      const pruned = await pruneOrdersSeen(db, { retentionMs });
      if (pruned > 0) logger.info({ pruned }, 'orders_seen pruned');
      return false;
    },
  });
}
