import type { FaultRecord } from './faults.js';
import type { InvariantResult } from './invariants.js';
import type { OrderRow } from './snapshot.js';

/** How soon an order past its hold must be cancelled: the orders sweeper's settings. */
export interface SweepBound {
  /** ORDER_SWEEP_GRACE_SECONDS: how long past expiresAt the sweeper leaves an order to expiration. */
  graceSeconds: number;
  /** ORDER_SWEEP_INTERVAL_MS: one sweep every this often. */
  intervalMs: number;
  /** Room for a sweep's own work on a busy machine. */
  slackMs: number;
}

/** What the invariant reads: the orders, when each was cancelled, and the faults in the run's clock. */
export interface ExpiryFacts {
  orders: Array<Pick<OrderRow, 'id' | 'status' | 'expires_at'>>;
  /** Order id → when its order.cancelled was written (the orders outbox's created_at). */
  cancelledAt: Map<string, Date>;
  faults: FaultRecord[];
  /** Epoch ms of the run clock's zero (the load's start): faults are in that clock. */
  clockZeroMs: number;
  /** Fault targets during which the sweeper cannot cancel (it or its database is down). */
  blockingTargets: string[];
  /** How many of them the sweeper cancelled (its log lines), when known. */
  sweptCount?: number;
}

export const SWEEPER_BLOCKED_BY = ['orders', 'PostgreSQL'];

const SHOWN = 8;

/** The longest an order may stay open past its hold: grace + one interval + slack. */
export function sweepBoundMs(bound: SweepBound): number {
  return bound.graceSeconds * 1_000 + bound.intervalMs + bound.slackMs;
}

/**
 * No order was left open past its hold: each cancelled order's cancellation was
 * written at most `sweepBoundMs` after its expiresAt (by the expiration service
 * at once, or the sweeper when Redis lost the job), plus the time the sweeper
 * could not run because orders or Postgres was down in that window. An order
 * still open at the end is left to "Every order reached a final state".
 */
export function noOrderOpenPastHold(facts: ExpiryFacts, bound: SweepBound): InvariantResult {
  const limitMs = sweepBoundMs(bound);
  const outages = facts.faults
    .filter((fault) =>
      facts.blockingTargets.some((t) => fault.target === t || fault.target.startsWith(`${t}-`)),
    )
    .map((fault) => ({
      from: facts.clockZeroMs + fault.startedAt,
      to: facts.clockZeroMs + (fault.allReadyAt ?? fault.windowEndsAt),
    }));
  const violations: string[] = [];
  let late = 0;
  let worstMs = 0;
  let checked = 0;
  for (const order of facts.orders) {
    if (order.status !== 'cancelled') continue;
    const cancelled = facts.cancelledAt.get(order.id);
    if (!cancelled) {
      violations.push(`order ${order.id} cancelled without an order.cancelled in its outbox`);
      continue;
    }
    checked++;
    const expires = order.expires_at.getTime();
    const lateness = cancelled.getTime() - expires;
    if (lateness <= 0) continue;
    late++;
    // The sweeper's own outages in the window extend what it may take.
    let allowed = limitMs;
    for (const outage of outages) {
      const from = Math.max(outage.from, expires);
      const to = Math.min(outage.to, cancelled.getTime());
      if (to > from) allowed += to - from;
    }
    worstMs = Math.max(worstMs, lateness);
    if (lateness > allowed)
      violations.push(
        `order ${order.id} cancelled ${(lateness / 1000).toFixed(1)} s after its hold ended (allowed ${(allowed / 1000).toFixed(1)} s)`,
      );
  }
  return {
    name: `No order left open past its hold (expiresAt + ${(limitMs / 1000).toFixed(0)} s sweep bound, even after Redis lost every job)`,
    pass: violations.length === 0,
    summary: `${checked} cancelled orders, ${late} cancelled after expiresAt, the latest ${(worstMs / 1000).toFixed(1)} s after${facts.sweptCount === undefined ? '' : `; ${facts.sweptCount} cancelled by the sweeper (their expiration never came)`}`,
    violations: violations.slice(0, SHOWN),
    violationCount: violations.length,
  };
}
