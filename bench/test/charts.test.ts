import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { ms } from '../harness/markdown.js';
import { type Chart, chartLinks, renderSvg } from '../plot/render.js';
import { renderReport } from '../report.js';
import { benchCharts } from '../report-charts.js';
import { ALL_ROUNDS, SALE_SIDE_NAMES } from '../report-names.js';
import type { OverloadStep } from '../results.js';
import { fixtureRun } from './fixture-run.js';
import { svgTexts, tableRows } from './report-tables.js';

const overload: OverloadStep[] = [
  { target: 'gateway → orders', offeredPerSecond: 70, goodputPerSecond: 68, admittedP99: 250 },
  { target: 'gateway → orders', offeredPerSecond: 140, goodputPerSecond: 67, admittedP99: 300 },
  { target: 'gateway → orders', offeredPerSecond: 350, goodputPerSecond: 65, admittedP99: 320 },
];

function drawn(options: { overload?: OverloadStep[] } = {}) {
  const run = fixtureRun(options);
  const charts = benchCharts(run.results);
  const report = renderReport({ ...run, bottlenecks: '', charts, chartsFolder: 'charts' });
  const chart = (file: string) => {
    const found = charts.find((c) => c.file === file);
    if (!found) throw new Error(`no chart ${file}: ${charts.map((c) => c.file).join(', ')}`);
    return found;
  };
  return { report, charts, chart, results: run.results };
}

/** The legend labels of a rendered chart, read back from its SVG. */
async function legend(chart: Chart): Promise<string[]> {
  return svgTexts(await renderSvg(chart), '.role-legend-label text');
}

/** What a table row says, as the CDF chart's legend must say it: `name: count noun, p50 …`. */
function labelOf(row: string[], columns: { count: number; p50: number }, noun: string) {
  return `${row[0]!.replaceAll('`', '')}: ${row[columns.count]} ${noun}, p50 ${row[columns.p50]}`;
}

/** The median each curve draws, in ms: the first quantile at which it reaches half. */
function drawnMedians(chart: Chart): Record<string, number> {
  const values = (chart.spec as { data: { values: Array<Record<string, number | string>> } }).data
    .values;
  const medians: Record<string, number> = {};
  for (const point of values) {
    const series = String(point.series).split(':').slice(0, -1).join(':');
    if (medians[series] === undefined && Number(point.fraction) >= 0.5)
      medians[series] = Number(point.value);
  }
  return medians;
}

const formatted = (medians: Record<string, number>) =>
  Object.fromEntries(Object.entries(medians).map(([series, value]) => [series, ms(value)]));

describe("bench/REPORT.md's charts hold what its tables hold", () => {
  it('when the report is written, then it opens with a link to every chart', () => {
    const { report, charts } = drawn();

    const charted = report.indexOf(chartLinks('charts', charts));
    expect(charted).toBeGreaterThan(0);
    expect(charted).toBeLessThan(report.indexOf('## Summary'));
    expect(charts.map((c) => c.file)).toEqual([
      'read-path-latency.svg',
      'flash-sale-latency.svg',
      'throughput-per-round.svg',
      'propagation-latency.svg',
      'expiry-lag.svg',
    ]);
  });

  it('when the read path is charted, then each target of its table is a curve with the same count and median', async () => {
    const { report, chart, results } = drawn();
    const rows = tableRows(report, 'target');
    const cdf = chart('read-path-latency.svg');

    expect(await legend(cdf)).toEqual(
      rows.map((r) => labelOf(r, { count: 1, p50: 4 }, 'requests')),
    );
    expect(formatted(drawnMedians(cdf))).toEqual(Object.fromEntries(rows.map((r) => [r[0], r[4]])));
    // To the last digit, not only as the table rounds it.
    expect(Object.values(drawnMedians(cdf))).toEqual(results.readPath.map((t) => t.latency.p50));
  });

  it('when the flash sale is charted, then both sides over all rounds are curves with the table’s counts and medians', async () => {
    const { report, chart, results } = drawn();
    const all = tableRows(report, 'round').filter((r) => r[0] === ALL_ROUNDS);
    const cdf = chart('flash-sale-latency.svg');
    // The table counts responses by status; the chart counts buyers: one response each.
    const responses = (cell: string) =>
      [...cell.matchAll(/× ([\d,]+)/g)].reduce((n, m) => n + Number(m[1]!.replaceAll(',', '')), 0);

    expect(await legend(cdf)).toEqual(
      all.map((r) => `${r[1]}: ${responses(r[8]!).toLocaleString('en-US')} buyers, p50 ${r[5]}`),
    );
    expect(formatted(drawnMedians(cdf))).toEqual(Object.fromEntries(all.map((r) => [r[1], r[5]])));
    expect(Object.values(drawnMedians(cdf))).toEqual([
      results.sale.gateway.latency.p50,
      results.sale.reference.latency.p50,
    ]);
  });

  it('when propagation and expiry are charted, then their tables’ overall rows are the curves', async () => {
    const { report, chart, results } = drawn();
    const propagation = tableRows(report, 'when').filter((r) => r[0]!.startsWith('all'));
    const expiry = tableRows(report, 'lag behind the due instant');

    expect(await legend(chart('propagation-latency.svg'))).toEqual(
      propagation.map((r) => labelOf(r, { count: 1, p50: 2 }, 'probe tickets')),
    );
    expect(await legend(chart('expiry-lag.svg'))).toEqual(
      expiry.map((r) => labelOf(r, { count: 1, p50: 2 }, 'orders')),
    );
    expect(formatted(drawnMedians(chart('expiry-lag.svg')))).toEqual(
      Object.fromEntries(expiry.map((r) => [r[0]!.replaceAll('`', ''), r[2]])),
    );
    const { expiry: e, sale } = results;
    expect(Object.values(drawnMedians(chart('expiry-lag.svg')))).toEqual(
      [e.reference, e.fired, e.stored, e.cancelled].map((s) => s.p50),
    );
    expect(Object.values(drawnMedians(chart('propagation-latency.svg')))).toEqual([
      sale.propagation.duringSale.p50,
      sale.propagation.idle.p50,
    ]);
  });

  it('when throughput is charted, then every round’s bar is the table’s req/s or orders/s of that round', async () => {
    const { report, chart } = drawn();
    const bars = svgTexts(
      await renderSvg(chart('throughput-per-round.svg')),
      '.role-mark path',
      'aria-label',
    ).map((label) => label.replaceAll(',', ''));
    const read = tableRows(report, 'target').flatMap((r) =>
      r[3]!
        .split(' / ')
        .map((rate, i) => `round: ${i + 1}; req/s: ${rate.replaceAll(',', '')}; series: ${r[0]}`),
    );
    const sale = tableRows(report, 'round')
      .filter((r) => r[0] !== ALL_ROUNDS)
      .map((r) => `round: ${r[0]}; orders/s: ${r[4]!.replaceAll(',', '')}; series: ${r[1]}`);

    expect(bars.toSorted()).toEqual([...read, ...sale].toSorted());
    expect(Object.values(SALE_SIDE_NAMES).every((side) => sale.some((b) => b.endsWith(side)))).toBe(
      true,
    );
  });

  it('when a run has no overload data, then there is no overload chart; when it has, then each step is a point', async () => {
    expect(drawn().charts.some((c) => c.file === 'overload.svg')).toBe(false);

    const { report, chart } = drawn({ overload });
    const points = svgTexts(
      await renderSvg(chart('overload.svg')),
      '.role-mark path',
      'aria-label',
    );

    expect(report).toContain('(charts/overload.svg)');
    for (const step of overload) {
      expect(points).toContain(
        `offered load (req/s): ${step.offeredPerSecond}; goodput (req/s; dashed: all offered): ${step.goodputPerSecond}; target: ${step.target}`,
      );
      expect(points).toContain(
        `offered load (req/s): ${step.offeredPerSecond}; p99 of admitted requests (ms): ${step.admittedP99}; target: ${step.target}`,
      );
    }
  });

  it('when a chart is rendered, then it is a standalone SVG document', async () => {
    const { charts } = drawn({ overload });
    for (const chart of charts) {
      const svg = await renderSvg(chart);
      const document = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
      expect(document.documentElement.tagName).toBe('svg');
      expect(Number(document.documentElement.getAttribute('width'))).toBeGreaterThan(300);
    }
  });
});
