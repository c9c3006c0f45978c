import type { TopLevelSpec } from 'vega-lite';
import { count, ms } from '../harness/markdown.js';
import type { Summary } from '../harness/stats.js';
import { seriesColours } from './colours.js';
import type { Chart } from './render.js';

/** One line of a CDF chart: a distribution as its table row names it. */
export interface CdfSeries {
  /** The row's name in the report's table. */
  name: string;
  summary: Summary;
  /** A reference line is drawn dashed, GitTix's solid. */
  reference?: boolean;
}

/**
 * The legend label of a series: its table row's name (as plain text, without
 * Markdown's backticks), sample count and median, as the table writes them.
 */
export function cdfLabel(series: CdfSeries, noun: string): string {
  const name = series.name.replaceAll('`', '');
  return `${name}: ${count(series.summary.count)} ${noun}, p50 ${ms(series.summary.p50)}`;
}

/**
 * Latency (or lag) distributions as cumulative curves, one per series: how many of
 * the samples took at most x. Drawn from each summary's saved quantiles; a series
 * without them (a run saved before charts) is left out, and no series at all is no chart.
 */
export function cdfChart(options: {
  file: string;
  title: string;
  series: CdfSeries[];
  /** What a sample is, for the legend: `requests`, `buyers`, `orders`. */
  noun: string;
  /** The axis title; `, log scale` is added when the values span a decade or more. */
  xTitle: string;
}): Chart | undefined {
  const drawn = options.series.filter((s) => s.summary.quantiles?.length);
  if (drawn.length === 0) return undefined;
  const labels = drawn.map((s) => cdfLabel(s, options.noun));
  const values = drawn.flatMap((s, i) => {
    const q = s.summary.quantiles!;
    // The curve starts at 0 on the first sample, then steps up at each quantile.
    return [
      { series: labels[i], value: q[0], fraction: 0 },
      ...q.map((value, k) => ({ series: labels[i], value, fraction: (k + 1) / q.length })),
    ];
  });
  const all = values.map((v) => v.value as number);
  const [low, high] = [Math.min(...all), Math.max(...all)];
  // Spread over a decade or more: log, or symlog (linear near 0) when some samples are ≤ 0.
  const smallest = Math.min(...all.filter((v) => v > 0));
  const wide = high / smallest >= 10;
  const scale = !wide ? 'linear' : low > 0 ? 'log' : 'symlog';
  const colours = seriesColours(drawn);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 640,
    height: 300,
    data: { values },
    layer: [
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8 },
        encoding: {
          x: {
            field: 'value',
            type: 'quantitative',
            title: `${options.xTitle}${scale === 'linear' ? '' : ', log scale'}`,
            // The data's own range: a "nice" log domain can add a decade of empty space.
            scale: scale === 'linear' ? { zero: false, nice: true } : { type: scale, nice: false },
            // Vega picks few symlog ticks: 0 and the powers of ten in range, each sign.
            ...(scale === 'symlog' ? { axis: { values: symlogTicks(low, high) } } : {}),
          },
          y: {
            field: 'fraction',
            type: 'quantitative',
            title: `share of ${options.noun} (cumulative)`,
            axis: { format: '%' },
            scale: { domain: [0, 1] },
          },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: labels, range: colours },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: labels, range: drawn.map((s) => (s.reference ? [5, 3] : [1, 0])) },
          },
        },
      },
      {
        data: {
          values: [
            { at: 0.5, mark: 'p50' },
            { at: 0.99, mark: 'p99' },
          ],
        },
        mark: { type: 'rule', color: '#bbbbbb', strokeDash: [2, 2] },
        encoding: { y: { field: 'at', type: 'quantitative' } },
      },
      {
        data: {
          values: [
            { at: 0.5, mark: 'p50' },
            { at: 0.99, mark: 'p99' },
          ],
        },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#888888', fontSize: 10 },
        encoding: {
          y: { field: 'at', type: 'quantitative' },
          x: { value: 2 },
          text: { field: 'mark' },
        },
      },
    ],
  };
  return { file: options.file, title: options.title, spec };
}

function symlogTicks(low: number, high: number): number[] {
  const decades = Array.from({ length: 7 }, (_, i) => 10 ** i);
  return [...decades.map((d) => -d).reverse(), 0, ...decades].filter((v) => v >= low && v <= high);
}
