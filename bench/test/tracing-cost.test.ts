import { describe, expect, it } from 'vitest';
import { median, summarize } from '../harness/stats.js';
import { type Burst, costRows, renderCostTable } from '../tracing-cost/report.js';

const burst = (
  round: number,
  tracing: 'off' | 'on',
  via: 'tickets' | 'gateway',
  requests: number,
  latencyMs: number,
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
    expect(table).toContain('| tickets straight | 1000 | 900 | -10.0 % | 2.00 → 2.50 |');
    expect(table).toContain('| through the gateway | 500 | 500 | +0.0 % |');
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
});
