import type { LoadResult } from '../harness/load.js';
import type { Summary } from '../harness/stats.js';

/** One measured burst of the tracing-cost bench. */
export interface Burst extends LoadResult {
  round: number;
  tracing: 'off' | 'on';
  via: 'tickets' | 'gateway';
  non2xx: number;
}

/** Tracing on against off for one way in (tickets straight, or through the gateway). */
export interface CostRow {
  via: 'tickets' | 'gateway';
  off: { perSecond: number; latency: Summary };
  on: { perSecond: number; latency: Summary };
  /** Median over rounds of (on ÷ off) requests per second, in the same round. */
  throughputRatio: number;
  /** Median over rounds of (on ÷ off) p50 and p99 latency. */
  p50Ratio: number;
  p99Ratio: number;
  non2xx: number;
}

const perSecond = (bursts: Burst[]) =>
  bursts.reduce((n, b) => n + b.requests, 0) / bursts.reduce((s, b) => s + b.seconds, 0);

/** The rows of the report: per way in, totals over every round and the medians of the per-round ratios. */
export function costRows(
  bursts: Burst[],
  { median, summarize }: { median: (v: number[]) => number; summarize: (v: number[]) => Summary },
): CostRow[] {
  return (['tickets', 'gateway'] as const).map((via) => {
    const of = (tracing: 'off' | 'on') =>
      bursts.filter((b) => b.via === via && b.tracing === tracing);
    const rounds = [...new Set(bursts.map((b) => b.round))];
    const ratios = rounds.flatMap((round) => {
      const off = of('off').find((b) => b.round === round);
      const on = of('on').find((b) => b.round === round);
      if (!off || !on) return [];
      const [offLatency, onLatency] = [summarize(off.latencies), summarize(on.latencies)];
      return [
        {
          throughput: perSecond([on]) / perSecond([off]),
          p50: onLatency.p50 / offLatency.p50,
          p99: onLatency.p99 / offLatency.p99,
        },
      ];
    });
    const side = (tracing: 'off' | 'on') => ({
      perSecond: perSecond(of(tracing)),
      latency: summarize(of(tracing).flatMap((b) => b.latencies)),
    });
    return {
      via,
      off: side('off'),
      on: side('on'),
      throughputRatio: median(ratios.map((r) => r.throughput)),
      p50Ratio: median(ratios.map((r) => r.p50)),
      p99Ratio: median(ratios.map((r) => r.p99)),
      non2xx: [...of('off'), ...of('on')].reduce((n, b) => n + b.non2xx, 0),
    };
  });
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;

/** The markdown table docs/tracing.md quotes. */
export function renderCostTable(rows: CostRow[]): string {
  const lines = [
    '| GET /api/tickets/:id | req/s off | req/s on | throughput on vs off (median of rounds) | p50 off → on (ms) | p99 off → on (ms) | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.via === 'gateway' ? 'through the gateway' : 'tickets straight'} | ${fixed(row.off.perSecond)} | ${fixed(row.on.perSecond)} | ${percent(row.throughputRatio)} | ${fixed(row.off.latency.p50, 2)} → ${fixed(row.on.latency.p50, 2)} | ${fixed(row.off.latency.p99, 2)} → ${fixed(row.on.latency.p99, 2)} | ${row.non2xx} |`,
    );
  }
  return lines.join('\n');
}
