import { describe, expect, it } from 'vitest';
import { median, summarize } from '../harness/stats.js';
import {
  type Burst,
  costRows,
  type ExpiryBurst,
  expiryRow,
  renderCostTable,
  renderExpiryTable,
  renderSaleTable,
  type SaleBurst,
  saleRow,
} from '../tracing-cost/report.js';

const burst = (
  round: number,
  tracing: Burst['tracing'],
  via: 'tickets' | 'gateway',
  requests: number,
  latencyMs: number,
  cpuSeconds = requests / 10_000,
): Burst => ({
  round,
  tracing,
  via,
  requests,
  seconds: 1,
  latencies: Array.from({ length: requests }, () => latencyMs),
  statuses: { '200': requests },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  cpuSeconds,
});

describe('the tracing-cost report', () => {
  it('when tracing on serves 10% fewer requests in every round, then the row says -10 % and its latencies', () => {
    const bursts = [0, 1, 2].flatMap((round) => [
      burst(round, 'off', 'tickets', 1000, 2),
      burst(round, 'on', 'tickets', 900, 2.5),
      burst(round, 'off', 'gateway', 500, 4),
      burst(round, 'on', 'gateway', 500, 4),
    ]);
    const [tickets, gateway] = costRows(bursts, { median, summarize });
    expect(tickets).toMatchObject({ via: 'tickets', non2xx: 0 });
    expect(tickets!.throughputRatio).toBeCloseTo(0.9);
    expect(tickets!.p50Ratio).toBeCloseTo(1.25);
    expect(gateway!.throughputRatio).toBeCloseTo(1);
    const table = renderCostTable([tickets!, gateway!]);
    expect(table).toContain(
      '| tickets straight | 100 → 100 | +0.0 % | 1000 | 900 | -10.0 % | 2.00 → 2.50 |',
    );
    expect(table).toContain('| through the gateway | 100 → 100 | +0.0 % | 500 | 500 | +0.0 % |');
  });

  it('when a variant copy runs in the same rounds, then it gets rows against off and a line against on', () => {
    const bursts = [0, 1, 2].flatMap((round) => [
      burst(round, 'off', 'tickets', 1000, 2),
      burst(round, 'on', 'tickets', 800, 2),
      burst(round, 'variant', 'tickets', 880, 2),
      burst(round, 'off', 'gateway', 500, 4),
      burst(round, 'on', 'gateway', 400, 4),
      burst(round, 'variant', 'gateway', 400, 4),
    ]);
    const rows = costRows(bursts, { median, summarize }, ['on', 'variant']);
    expect(rows.map((row) => [row.copy, row.via])).toEqual([
      ['on', 'tickets'],
      ['on', 'gateway'],
      ['variant', 'tickets'],
      ['variant', 'gateway'],
    ]);
    expect(rows[0]!.throughputRatio).toBeCloseTo(0.8);
    expect(rows[2]!.throughputRatio).toBeCloseTo(0.88);
    expect(rows[2]!.againstOn!.throughputRatio).toBeCloseTo(1.1);
    expect(rows[3]!.againstOn!.throughputRatio).toBeCloseTo(1);
    expect(rows[0]!.againstOn).toBeUndefined();
    const table = renderCostTable(rows);
    expect(table).toContain(
      '| tickets straight (variant) | 100 → 100 | +0.0 % | 1000 | 880 | -12.0 % |',
    );
    expect(table).toContain('| tickets straight | +0.0 % | +10.0 % | +0.0 % |');
  });

  it('when one round is noisy, then the median of the per-round ratios ignores it', () => {
    const bursts = [
      ...[0, 1, 2].flatMap((round) => [
        burst(round, 'off', 'tickets', 1000, 2),
        burst(round, 'on', 'tickets', round === 1 ? 300 : 980, 2),
      ]),
      burst(0, 'off', 'gateway', 10, 1),
      burst(0, 'on', 'gateway', 10, 1),
    ];
    const [tickets] = costRows(bursts, { median, summarize });
    expect(tickets!.throughputRatio).toBeCloseTo(0.98);
  });

  it('when tracing on uses 5% more CPU per request, then the row says so whatever the throughput did', () => {
    const bursts = [0, 1, 2].flatMap((round) => [
      // 1000 requests in 0.1 CPU-s off: 100 µs each; on: 105 µs, on fewer requests (a busy machine).
      burst(round, 'off', 'tickets', 1000, 2, 0.1),
      burst(round, 'on', 'tickets', 600, 2, 0.063),
    ]);
    const [tickets] = costRows(bursts, { median, summarize });
    expect(tickets!.cpuPerRequestUs.off).toBeCloseTo(100);
    expect(tickets!.cpuPerRequestUs.on).toBeCloseTo(105);
    expect(tickets!.cpuRatio).toBeCloseTo(1.05);
  });

  it('when a sale round sells a ticket twice, then the sale row counts it, with orders/s and CPU per attempt compared per round', () => {
    const sale = (
      round: number,
      tracing: 'off' | 'on',
      ordersPerSecond: number,
      cpuSeconds: number,
      exactlyOnePerTicket = true,
    ): SaleBurst => ({
      round,
      tracing,
      attempts: 400,
      tickets: 40,
      exactlyOnePerTicket,
      ordersPerSecond,
      latencies: [10, 20, 30],
      cpuSeconds,
    });
    const row = saleRow(
      [
        sale(0, 'off', 100, 0.4),
        sale(0, 'on', 95, 0.44),
        sale(1, 'on', 90, 0.44, false),
        sale(1, 'off', 100, 0.4),
      ],
      { median, summarize },
    );
    expect(row.throughputRatio).toBeCloseTo(0.925);
    expect(row.cpuRatio).toBeCloseTo(1.1);
    expect(row.off.cpuPerAttemptUs).toBeCloseTo(1000);
    expect(row.wrongRounds).toBe(1);
    expect(renderSaleTable(row, 400, 40)).toContain(
      '| through the gateway | 1000 → 1100 | +10.0 % | 100.0 | 92.5 | -7.5 % |',
    );
  });

  it('when traced expiries cost 20 % more CPU and one round missed an order, then the expiry row says so, lags as the median of rounds', () => {
    const expiry = (
      round: number,
      tracing: 'off' | 'on',
      cpuSeconds: number,
      cancelledP99: number,
      cancelledInDb = 300,
    ): ExpiryBurst => ({
      round,
      tracing,
      orders: 300,
      cancelledInDb,
      fired: summarize([100, 200]),
      cancelled: { ...summarize([cancelledP99 / 2]), p99: cancelledP99 },
      cpuSeconds,
    });
    const row = expiryRow(
      [
        // 1 ms of CPU per expiry off, 1.2 ms on; the cancellations' p99 1.1× later.
        expiry(0, 'off', 0.3, 1000),
        expiry(0, 'on', 0.36, 1100),
        expiry(1, 'on', 0.36, 1320),
        expiry(1, 'off', 0.3, 1200, 299),
      ],
      { median },
    );
    expect(row.off.cpuPerExpiryUs).toBeCloseTo(1000);
    expect(row.on.cpuPerExpiryUs).toBeCloseTo(1200);
    expect(row.cpuRatio).toBeCloseTo(1.2);
    expect(row.p99Ratio).toBeCloseTo(1.1);
    expect(row.off.cancelledP99).toBeCloseTo(1100);
    expect(row.wrongRounds).toBe(1);
    expect(renderExpiryTable(row, 300)).toContain(
      '| expiration → orders → tickets | 1000 → 1200 | +20.0 % | 200 → 200 | 550 → 605 | 1100 → 1210 | +10.0 % | 1 |',
    );
  });
});
