import { describe, expect, it } from 'vitest';
import {
  noOrderOpenPastHold,
  SWEEPER_BLOCKED_BY,
  sweepBoundMs,
} from '../chaos/expiry-invariants.js';
import type { FaultRecord } from '../chaos/faults.js';

const zero = Date.parse('2030-01-01T00:00:00Z');
const bound = { graceSeconds: 10, intervalMs: 2_000, slackMs: 5_000 };
const at = (ms: number) => new Date(zero + ms);
const order = (id: string, status: string, expiresMs: number) => ({
  id,
  status,
  expires_at: at(expiresMs),
});
const fault = (target: string, startedAt: number, allReadyAt: number): FaultRecord => ({
  name: `kill -9 ${target}`,
  target,
  kind: 'service',
  startedAt,
  returnedAt: startedAt + 2_000,
  ownReadyAt: allReadyAt,
  allReadyAt,
  unready: [target],
  windowEndsAt: allReadyAt + 8_000,
});
const facts = (
  orders: ReturnType<typeof order>[],
  cancelledAt: Array<[string, number]>,
  faults: FaultRecord[] = [],
) => ({
  orders,
  cancelledAt: new Map(cancelledAt.map(([id, ms]) => [id, at(ms)])),
  faults,
  clockZeroMs: zero,
  blockingTargets: SWEEPER_BLOCKED_BY,
});

describe('chaos invariant: no order left open past its hold', () => {
  it('when every cancelled order was cancelled before or within the sweep bound of its hold, then it passes', () => {
    const result = noOrderOpenPastHold(
      facts(
        [
          order('a', 'cancelled', 20_000),
          order('b', 'cancelled', 20_000),
          order('c', 'complete', 0),
        ],
        [
          ['a', 5_000], // the buyer cancelled
          ['b', 20_000 + sweepBoundMs(bound)], // the sweeper, at the last allowed moment
        ],
      ),
      bound,
    );

    expect(result.pass).toBe(true);
    expect(result.summary).toBe(
      '2 cancelled orders, 1 cancelled after expiresAt, the latest 17.0 s after',
    );
    expect(noOrderOpenPastHold({ ...facts([], []), sweptCount: 3 }, bound).summary).toContain(
      '3 cancelled by the sweeper',
    );
  });

  it('when an order was cancelled later than the sweep bound (Redis lost its job, no sweeper), then it fails naming the order', () => {
    const result = noOrderOpenPastHold(
      facts([order('late', 'cancelled', 20_000)], [['late', 20_000 + 25_000]]),
      bound,
    );

    expect(result.pass).toBe(false);
    expect(result.violations).toEqual([
      'order late cancelled 25.0 s after its hold ended (allowed 17.0 s)',
    ]);
  });

  it('when orders or Postgres was down in the window, then the outage is added to what is allowed, and other outages are not', () => {
    const cancelled: Array<[string, number]> = [['a', 20_000 + 25_000]];
    const orders = [order('a', 'cancelled', 20_000)];

    // Postgres down 10 s right after the hold ended: 17 + 10 s allowed.
    expect(
      noOrderOpenPastHold(facts(orders, cancelled, [fault('PostgreSQL', 21_000, 31_000)]), bound)
        .pass,
    ).toBe(true);
    // A replica of orders (cluster mode) counts too.
    expect(
      noOrderOpenPastHold(facts(orders, cancelled, [fault('orders-2', 21_000, 31_000)]), bound)
        .pass,
    ).toBe(true);
    // Tickets being down does not stop the sweeper.
    expect(
      noOrderOpenPastHold(facts(orders, cancelled, [fault('tickets', 21_000, 31_000)]), bound).pass,
    ).toBe(false);
  });

  it('when a cancelled order has no order.cancelled in its outbox, then it fails', () => {
    const result = noOrderOpenPastHold(facts([order('x', 'cancelled', 0)], []), bound);

    expect(result.pass).toBe(false);
    expect(result.violations[0]).toBe('order x cancelled without an order.cancelled in its outbox');
  });
});
