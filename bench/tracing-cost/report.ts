import type { LoadResult } from '../harness/load.js';
import type { Summary } from '../harness/stats.js';

/** One measured burst of the tracing-cost bench. */
export interface Burst extends LoadResult {
  round: number;
  /** `variant`: a third copy, traced like `on` with --variant-env's variables added. */
  tracing: 'off' | 'on' | 'variant';
  via: 'tickets' | 'gateway';
  non2xx: number;
  /** CPU seconds the system's services (tickets, and the gateway) used during the burst. */
  cpuSeconds: number;
}

/** Tracing on against off for one way in (tickets straight, or through the gateway). */
export interface CostRow {
  via: 'tickets' | 'gateway';
  /** The traced copy compared with off (`on`, or the `variant` copy). */
  copy: 'on' | 'variant';
  /** The variant only: median over rounds of (variant ÷ on) throughput and CPU per request. */
  againstOn?: { throughputRatio: number; cpuRatio: number; p99Ratio: number };
  off: { perSecond: number; latency: Summary };
  on: { perSecond: number; latency: Summary };
  /** Median over rounds of (on ÷ off) requests per second, in the same round. */
  throughputRatio: number;
  /** Median over rounds of (on ÷ off) p50 and p99 latency. */
  p50Ratio: number;
  p99Ratio: number;
  /** The services' CPU per request, µs: all rounds' CPU over all rounds' requests. */
  cpuPerRequestUs: { off: number; on: number };
  /** Median over rounds of (on ÷ off) CPU per request: robust to the machine's load. */
  cpuRatio: number;
  non2xx: number;
}

const perSecond = (bursts: Burst[]) =>
  bursts.reduce((n, b) => n + b.requests, 0) / bursts.reduce((s, b) => s + b.seconds, 0);
/** CPU µs per unit (request, attempt, expiry) over `list`: all its CPU over all its units. */
const cpuPerUnitUs = <B extends { cpuSeconds: number }>(list: B[], units: (b: B) => number) =>
  (list.reduce((s, b) => s + b.cpuSeconds, 0) * 1e6) /
  Math.max(
    1,
    list.reduce((n, b) => n + units(b), 0),
  );
const cpuPerRequestUs = (bursts: Burst[]) => cpuPerUnitUs(bursts, (b) => b.requests);

/** `compare(off, on)` for each round that has both an off and an on burst, in round order. */
function perRound<B extends { round: number; tracing: string }, R>(
  bursts: B[],
  compare: (off: B, on: B) => R,
): R[] {
  const rounds = [...new Set(bursts.map((b) => b.round))];
  return rounds.flatMap((round) => {
    const off = bursts.find((b) => b.round === round && b.tracing === 'off');
    const on = bursts.find((b) => b.round === round && b.tracing === 'on');
    return off && on ? [compare(off, on)] : [];
  });
}

/** The rows of the report: per way in, totals over every round and the medians of the per-round ratios. */
export function costRows(
  bursts: Burst[],
  { median, summarize }: { median: (v: number[]) => number; summarize: (v: number[]) => Summary },
  copies: ReadonlyArray<'on' | 'variant'> = ['on'],
): CostRow[] {
  const rows = copies.flatMap((copy) =>
    (['tickets', 'gateway'] as const).map((via) =>
      costRow(bursts, { median, summarize }, via, copy, 'off'),
    ),
  );
  if (!copies.includes('variant')) return rows;
  return rows.map((row) => {
    if (row.copy !== 'variant') return row;
    const direct = costRow(bursts, { median, summarize }, row.via, 'variant', 'on');
    return {
      ...row,
      againstOn: {
        throughputRatio: direct.throughputRatio,
        cpuRatio: direct.cpuRatio,
        p99Ratio: direct.p99Ratio,
      },
    };
  });
}

function costRow(
  bursts: Burst[],
  { median, summarize }: { median: (v: number[]) => number; summarize: (v: number[]) => Summary },
  via: 'tickets' | 'gateway',
  copy: 'on' | 'variant',
  base: 'off' | 'on',
): CostRow {
  {
    const of = (side: 'off' | 'on') =>
      bursts.filter((b) => b.via === via && b.tracing === (side === 'on' ? copy : base));
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
          cpu: cpuPerRequestUs([on]) / cpuPerRequestUs([off]),
        },
      ];
    });
    const side = (tracing: 'off' | 'on') => ({
      perSecond: perSecond(of(tracing)),
      latency: summarize(of(tracing).flatMap((b) => b.latencies)),
    });
    return {
      via,
      copy,
      off: side('off'),
      on: side('on'),
      throughputRatio: median(ratios.map((r) => r.throughput)),
      p50Ratio: median(ratios.map((r) => r.p50)),
      p99Ratio: median(ratios.map((r) => r.p99)),
      cpuPerRequestUs: { off: cpuPerRequestUs(of('off')), on: cpuPerRequestUs(of('on')) },
      cpuRatio: median(ratios.map((r) => r.cpu)),
      non2xx: [...of('off'), ...of('on')].reduce((n, b) => n + b.non2xx, 0),
    };
  }
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;

/** The markdown table docs/tracing.md quotes. */
export function renderCostTable(rows: CostRow[]): string {
  const lines = [
    '| GET /api/tickets/:id | CPU µs/request off → on | CPU per request on vs off (median of rounds) | req/s off | req/s on | throughput on vs off (median of rounds) | p50 off → on (ms) | p99 off → on (ms) | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const name = `${row.via === 'gateway' ? 'through the gateway' : 'tickets straight'}${row.copy === 'variant' ? ' (variant)' : ''}`;
    lines.push(
      `| ${name} | ${fixed(row.cpuPerRequestUs.off)} → ${fixed(row.cpuPerRequestUs.on)} | ${percent(row.cpuRatio)} | ${fixed(row.off.perSecond)} | ${fixed(row.on.perSecond)} | ${percent(row.throughputRatio)} | ${fixed(row.off.latency.p50, 2)} → ${fixed(row.on.latency.p50, 2)} | ${fixed(row.off.latency.p99, 2)} → ${fixed(row.on.latency.p99, 2)} | ${row.non2xx} |`,
    );
  }
  const variants = rows.filter((row) => row.againstOn);
  if (variants.length > 0) {
    lines.push(
      '',
      '| variant against on, same rounds | CPU per request (median of rounds) | throughput (median of rounds) | p99 (median of rounds) |',
      '| --- | ---: | ---: | ---: |',
      ...variants.map(
        (row) =>
          `| ${row.via === 'gateway' ? 'through the gateway' : 'tickets straight'} | ${percent(row.againstOn!.cpuRatio)} | ${percent(row.againstOn!.throughputRatio)} | ${percent(row.againstOn!.p99Ratio)} |`,
      ),
    );
  }
  return lines.join('\n');
}

/** One round of the flash sale on one system: buyers racing for fresh tickets through the gateway. */
export interface SaleBurst {
  round: number;
  tracing: 'off' | 'on';
  attempts: number;
  tickets: number;
  /** One 201, one order and one order.created event per ticket, as the sale must give. */
  exactlyOnePerTicket: boolean;
  ordersPerSecond: number;
  latencies: number[];
  /** CPU seconds of the system's services from the first request until every ticket was reserved. */
  cpuSeconds: number;
}

export interface SaleRow {
  off: { ordersPerSecond: number; cpuPerAttemptUs: number; latency: Summary };
  on: { ordersPerSecond: number; cpuPerAttemptUs: number; latency: Summary };
  /** Median over rounds of (on ÷ off) orders per second. */
  throughputRatio: number;
  /** Median over rounds of (on ÷ off) CPU per attempt. */
  cpuRatio: number;
  /** Rounds where some ticket did not get exactly one order. */
  wrongRounds: number;
}

/** The flash-sale row: totals per side and the medians of the per-round ratios. */
export function saleRow(
  bursts: SaleBurst[],
  { median, summarize }: { median: (v: number[]) => number; summarize: (v: number[]) => Summary },
): SaleRow {
  const cpuPerAttemptUs = (list: SaleBurst[]) => cpuPerUnitUs(list, (b) => b.attempts);
  const side = (tracing: 'off' | 'on') => {
    const list = bursts.filter((b) => b.tracing === tracing);
    return {
      ordersPerSecond: median(list.map((b) => b.ordersPerSecond)),
      cpuPerAttemptUs: cpuPerAttemptUs(list),
      latency: summarize(list.flatMap((b) => b.latencies)),
    };
  };
  const ratios = perRound(bursts, (off, on) => ({
    throughput: on.ordersPerSecond / off.ordersPerSecond,
    cpu: cpuPerAttemptUs([on]) / cpuPerAttemptUs([off]),
  }));
  return {
    off: side('off'),
    on: side('on'),
    throughputRatio: median(ratios.map((r) => r.throughput)),
    cpuRatio: median(ratios.map((r) => r.cpu)),
    wrongRounds: bursts.filter((b) => !b.exactlyOnePerTicket).length,
  };
}

/** The flash-sale table docs/tracing.md quotes. */
export function renderSaleTable(row: SaleRow, attempts: number, tickets: number): string {
  return [
    `| flash sale, ${attempts} buyers for ${tickets} tickets per round | CPU µs/attempt off → on | CPU per attempt on vs off (median of rounds) | orders/s off | orders/s on | orders/s on vs off (median of rounds) | p50 off → on (ms) | p99 off → on (ms) | rounds not exactly 1 order per ticket |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| through the gateway | ${fixed(row.off.cpuPerAttemptUs)} → ${fixed(row.on.cpuPerAttemptUs)} | ${percent(row.cpuRatio)} | ${fixed(row.off.ordersPerSecond, 1)} | ${fixed(row.on.ordersPerSecond, 1)} | ${percent(row.throughputRatio)} | ${fixed(row.off.latency.p50, 2)} → ${fixed(row.on.latency.p50, 2)} | ${fixed(row.off.latency.p99, 2)} → ${fixed(row.on.latency.p99, 2)} | ${row.wrongRounds} |`,
  ].join('\n');
}

/** One expiry round on one copy: orders due at one instant, cancelled by the real path. */
export interface ExpiryBurst {
  round: number;
  tracing: 'off' | 'on';
  orders: number;
  /** Orders the orders service had cancelled when the round ended (all of them, or it timed out). */
  cancelledInDb: number;
  /** expiration.complete written by the worker − the due instant, ms. */
  fired: Summary;
  /** order.cancelled written by orders − the due instant, ms. */
  cancelled: Summary;
  /** CPU seconds of expiration, orders and tickets from the due instant until the spans of the last cancellation were exported. */
  cpuSeconds: number;
}

export interface ExpiryRow {
  off: { cpuPerExpiryUs: number; cancelledP50: number; cancelledP99: number; firedP99: number };
  on: { cpuPerExpiryUs: number; cancelledP50: number; cancelledP99: number; firedP99: number };
  /** Median over rounds of (on ÷ off) CPU per expiry. */
  cpuRatio: number;
  /** Median over rounds of (on ÷ off) cancelled p99: how much later the last orders went. */
  p99Ratio: number;
  /** Rounds where not every order was cancelled. */
  wrongRounds: number;
}

/** The expiry row: CPU per expiry over all rounds, lags as the median of the rounds'. */
export function expiryRow(
  bursts: ExpiryBurst[],
  { median }: { median: (v: number[]) => number },
): ExpiryRow {
  const cpuPerExpiryUs = (list: ExpiryBurst[]) => cpuPerUnitUs(list, (b) => b.orders);
  const side = (tracing: 'off' | 'on') => {
    const list = bursts.filter((b) => b.tracing === tracing);
    return {
      cpuPerExpiryUs: cpuPerExpiryUs(list),
      cancelledP50: median(list.map((b) => b.cancelled.p50)),
      cancelledP99: median(list.map((b) => b.cancelled.p99)),
      firedP99: median(list.map((b) => b.fired.p99)),
    };
  };
  const ratios = perRound(bursts, (off, on) => ({
    cpu: cpuPerExpiryUs([on]) / cpuPerExpiryUs([off]),
    p99: on.cancelled.p99 / off.cancelled.p99,
  }));
  return {
    off: side('off'),
    on: side('on'),
    cpuRatio: median(ratios.map((r) => r.cpu)),
    p99Ratio: median(ratios.map((r) => r.p99)),
    wrongRounds: bursts.filter((b) => b.cancelledInDb !== b.orders).length,
  };
}

/** The expiry table docs/tracing.md quotes. */
export function renderExpiryTable(row: ExpiryRow, orders: number): string {
  return [
    `| ${orders} orders due at once, per round | CPU µs/expiry off → on | CPU per expiry on vs off (median of rounds) | fired p99 off → on (ms) | cancelled p50 off → on (ms) | cancelled p99 off → on (ms) | cancelled p99 on vs off (median of rounds) | rounds not all cancelled |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| expiration → orders → tickets | ${fixed(row.off.cpuPerExpiryUs)} → ${fixed(row.on.cpuPerExpiryUs)} | ${percent(row.cpuRatio)} | ${fixed(row.off.firedP99)} → ${fixed(row.on.firedP99)} | ${fixed(row.off.cancelledP50)} → ${fixed(row.on.cancelledP50)} | ${fixed(row.off.cancelledP99)} → ${fixed(row.on.cancelledP99)} | ${percent(row.p99Ratio)} | ${row.wrongRounds} |`,
  ].join('\n');
}
