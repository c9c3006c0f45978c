import type { TopLevelSpec } from 'vega-lite';
import { count } from './harness/markdown.js';
import { cdfChart } from './plot/cdf.js';
import { seriesColours } from './plot/colours.js';
import type { Chart } from './plot/render.js';
import {
  EXPIRY_NAMES,
  PROPAGATION_NAMES,
  READ_TARGET_NAMES,
  SALE_SIDE_NAMES,
} from './report-names.js';
import type { BenchResults } from './results.js';

/**
 * The charts of bench/REPORT.md, in the order it shows them. A new figure's
 * chart is one more entry: a function from the run's results to a chart, or to
 * undefined when the run has no data for it (then it is left out).
 */
export const BENCH_CHARTS: Array<(r: BenchResults) => Chart | undefined> = [
  readPathLatency,
  saleLatency,
  throughputPerRound,
  propagationLatency,
  expiryLag,
  overloadCurve,
];

export function benchCharts(results: BenchResults): Chart[] {
  return BENCH_CHARTS.map((chart) => chart(results)).filter((c) => c !== undefined);
}

const isReference = (target: string) => target === 'reference' || target === 'referenceProxy';

function readPathLatency(r: BenchResults) {
  return cdfChart({
    file: 'read-path-latency.svg',
    title: 'Read path: latency of GET /api/tickets/:id, each target beside the references',
    noun: 'requests',
    xTitle: 'latency (ms)',
    series: r.readPath.map((t) => ({
      name: READ_TARGET_NAMES[t.target],
      summary: t.latency,
      reference: isReference(t.target),
    })),
  });
}

function saleLatency(r: BenchResults) {
  return cdfChart({
    file: 'flash-sale-latency.svg',
    title: 'Flash sale: latency per buyer over every round, beside the bare order transaction',
    noun: 'buyers',
    xTitle: 'latency (ms)',
    series: [
      { name: SALE_SIDE_NAMES.gateway, summary: r.sale.gateway.latency },
      { name: SALE_SIDE_NAMES.reference, summary: r.sale.reference.latency, reference: true },
    ],
  });
}

function propagationLatency(r: BenchResults) {
  return cdfChart({
    file: 'propagation-latency.svg',
    title: 'ticket.created committed in tickets → in the orders replica, during the sale and idle',
    noun: 'probe tickets',
    xTitle: 'latency (ms)',
    series: [
      { name: PROPAGATION_NAMES.duringSale, summary: r.sale.propagation.duringSale },
      { name: PROPAGATION_NAMES.idle, summary: r.sale.propagation.idle, reference: true },
    ],
  });
}

function expiryLag(r: BenchResults) {
  const { expiry } = r;
  return cdfChart({
    file: 'expiry-lag.svg',
    title: `Expiry: lag behind the due instant of ${count(expiry.orders)} orders due at once, beside bare BullMQ`,
    noun: 'orders',
    xTitle: 'lag behind the due instant (ms)',
    series: [
      { name: EXPIRY_NAMES.reference, summary: expiry.reference, reference: true },
      ...(expiry.referenceAtEarlier
        ? [
            {
              name: EXPIRY_NAMES.referenceAtEarlier,
              summary: expiry.referenceAtEarlier,
              reference: true,
            },
          ]
        : []),
      { name: EXPIRY_NAMES.fired, summary: expiry.fired },
      { name: EXPIRY_NAMES.stored, summary: expiry.stored },
      { name: EXPIRY_NAMES.cancelled, summary: expiry.cancelled },
    ],
  });
}

interface RoundRate {
  round: number;
  series: string;
  perSecond: number;
}

/** Read path req/s and flash-sale orders/s in each round, side by side with their references. */
function throughputPerRound(r: BenchResults): Chart | undefined {
  const read: RoundRate[] = r.readPath.flatMap((t) =>
    (t.perSecondByRound ?? []).map((perSecond, i) => ({
      round: i + 1,
      series: READ_TARGET_NAMES[t.target],
      perSecond: Math.round(perSecond),
    })),
  );
  const sale: RoundRate[] = r.sale.rounds.flatMap((round, i) =>
    (['gateway', 'reference'] as const).map((side) => ({
      round: i + 1,
      series: SALE_SIDE_NAMES[side],
      perSecond: Math.round(round[side].ordersPerSecond),
    })),
  );
  const title = 'Throughput in each round: read path (req/s) and flash sale (orders/s)';
  const panel = (
    values: RoundRate[],
    what: string,
    unit: string,
    series: Array<{ name: string; reference?: boolean }>,
  ) => {
    const names = series.map((s) => s.name);
    return {
      title: what,
      width: 300,
      height: 220,
      data: { values },
      mark: { type: 'bar' as const },
      encoding: {
        x: { field: 'round', type: 'ordinal' as const, title: 'round', axis: { labelAngle: 0 } },
        xOffset: { field: 'series', type: 'nominal' as const, sort: names },
        y: { field: 'perSecond', type: 'quantitative' as const, title: unit },
        color: {
          field: 'series',
          type: 'nominal' as const,
          title: null,
          scale: { domain: names, range: seriesColours(series) },
        },
      },
    };
  };
  const readSeries = r.readPath.map((t) => ({
    name: READ_TARGET_NAMES[t.target],
    reference: isReference(t.target),
  }));
  const saleSeries = [
    { name: SALE_SIDE_NAMES.gateway },
    { name: SALE_SIDE_NAMES.reference, reference: true },
  ];
  const panels = [
    ...(read.length > 0 ? [panel(read, 'read path', 'req/s', readSeries)] : []),
    panel(sale, 'flash sale', 'orders/s', saleSeries),
  ];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    hconcat: panels,
    resolve: {
      scale: { color: 'independent', xOffset: 'independent', y: 'independent' },
      legend: { color: 'independent' },
    },
  };
  return { file: 'throughput-per-round.svg', title, spec };
}

/** Goodput and p99 of admitted requests against offered load: drawn only for runs with an overload phase. */
function overloadCurve(r: BenchResults): Chart | undefined {
  if (!r.overload?.length) return undefined;
  const values = r.overload;
  const title = 'Overload: goodput and p99 of admitted requests against offered load';
  const x = {
    field: 'offeredPerSecond',
    type: 'quantitative' as const,
    title: 'offered load (req/s)',
  };
  const color = { field: 'target', type: 'nominal' as const, title: null };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    hconcat: [
      {
        width: 300,
        height: 220,
        layer: [
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: {
                field: 'goodputPerSecond',
                type: 'quantitative',
                title: 'goodput (req/s; dashed: all offered)',
              },
              color,
            },
          },
          {
            // Everything offered served: the line goodput would follow with unlimited capacity.
            mark: { type: 'line', color: '#bbbbbb', strokeDash: [4, 3] },
            encoding: { x, y: { field: 'offeredPerSecond', type: 'quantitative' } },
          },
        ],
      },
      {
        width: 300,
        height: 220,
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'admittedP99', type: 'quantitative', title: 'p99 of admitted requests (ms)' },
          color,
        },
      },
    ],
  };
  return { file: 'overload.svg', title, spec };
}
