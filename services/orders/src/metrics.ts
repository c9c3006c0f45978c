import { counterOf, type HandlerContext } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import { type Counter, Gauge, type Registry } from 'prom-client';
import type { OrdersDatabase } from './db/schema.js';

/** How an order's life went, the `outcome` of gittix_orders_total (the purchase funnel). */
export type OrderOutcome = 'created' | 'completed' | 'cancelled' | 'expired' | 'refused';

/** Orders by outcome, counted once the transaction that decided it committed. */
export function orderOutcomes(registry: Registry): Counter<'outcome'> {
  return counterOf(registry, {
    name: 'gittix_orders_total',
    help: 'Orders by outcome, counted after the commit: created, completed (paid), cancelled (by the buyer), expired (hold ran out), refused (by tickets)',
    labelNames: ['outcome'],
  });
}

/** Counts `count` orders of `outcome` once the handler's inbox transaction commits. */
export function countAfterCommit(context: HandlerContext, outcome: OrderOutcome, count = 1): void {
  const { metrics, afterCommit } = context;
  if (!metrics || !afterCommit || count === 0) return;
  afterCommit(() => orderOutcomes(metrics).inc({ outcome }, count));
}

/**
 * `gittix_orders_overdue_seconds`, read at each scrape: how far past its expiresAt the
 * most overdue order still open (created, awaiting:payment) is, 0 when none is. The
 * expiration service ends a hold on time and the sweeper within
 * ORDER_SWEEP_GRACE_SECONDS; a value well past that means neither is ending orders
 * (the sweeper failing on every run, say), and buyers and tickets stay held. One index
 * range read of `orders_open_by_expiry`.
 */
export function registerOverdueOrdersGauge(registry: Registry, db: Kysely<OrdersDatabase>): void {
  new Gauge({
    name: 'gittix_orders_overdue_seconds',
    help: 'How far past its expiresAt the most overdue order still open (created, awaiting:payment) is (0 when none is overdue)',
    registers: [registry],
    async collect() {
      try {
        const { rows } = await sql<{ overdue: number | null }>`
          SELECT EXTRACT(EPOCH FROM now() - min(expires_at))::float8 AS overdue
          FROM orders WHERE status IN ('created', 'awaiting:payment')`.execute(db);
        this.set(Math.max(0, rows[0]?.overdue ?? 0));
      } catch {
        // The database is away: /metrics still answers, with the last value.
      }
    },
  });
}
