import { counterOf, type HandlerContext } from '@gittix/common';
import type { Counter, Registry } from 'prom-client';

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
