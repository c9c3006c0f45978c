import { describe, expect, it } from 'vitest';
import { renderSvg } from '../plot/render.js';
import { renderReport, renderSummary } from '../report.js';
import { benchCharts } from '../report-charts.js';
import type { OverloadStep } from '../results.js';
import { fixtureRun } from './fixture-run.js';
import { svgTexts, tableRows } from './report-tables.js';

const target = 'gateway → orders (flash sale)';
const step = (multiple: number, offered: number, goodput: number, p99: number): OverloadStep => ({
  target,
  multiple,
  offeredPerSecond: offered,
  goodputPerSecond: goodput,
  admittedP99: p99,
  capacityPerSecond: 300,
  sent: offered * 6,
  refused: multiple > 1 ? Math.round(offered * 6 * 0.5) : 0,
  refusedWithRetryAfter: multiple > 1 ? Math.round(offered * 6 * 0.5) : 0,
  refusedP99: multiple > 1 ? 4.5 : undefined,
  ...(multiple > 1
    ? { refusedBy: { 'gateway in_flight': Math.round(offered * 6 * 0.5) } }
    : multiple === 1
      ? { refusedBy: {} }
      : {}),
  otherServerErrors: 0,
  created: 100,
  oversold: 0,
});
const capacity = step(0, 300, 300, 420);
const steps = [step(1, 300, 296, 510.5), step(2, 600, 290, 880), step(5, 1500, 281, 990)];

function written() {
  const run = fixtureRun({ overload: steps, overloadCapacity: capacity });
  const charts = benchCharts(run.results);
  return {
    report: renderReport({ ...run, bottlenecks: '', charts, chartsFolder: 'charts' }),
    summary: renderSummary(run.results),
    chart: charts.find((c) => c.file === 'overload.svg')!,
  };
}

describe('the overload section of bench/REPORT.md and its chart', () => {
  it('when a run has an overload phase, then its table has the capacity and one row per offered load, and the chart draws exactly those steps', async () => {
    const { report, chart } = written();
    const rows = tableRows(report, 'offered');

    expect(rows.map((r) => r[0])).toEqual([
      'capacity (closed loop)',
      '1× capacity',
      '2× capacity',
      '5× capacity',
    ]);
    const points = svgTexts(await renderSvg(chart), '.role-mark path', 'aria-label').filter((p) =>
      p.includes('goodput'),
    );
    // Each row of an offered load is a point of the chart, and the chart has no other.
    const fromTable = rows.slice(1).map((r) => {
      const offered = r[1]!.replace('/s', '').replaceAll(',', '');
      const goodput = r[3]!.replace('/s', '').replaceAll(',', '');
      return `offered load (req/s): ${offered}; goodput (req/s; dashed: all offered): ${goodput}; target: ${target}`;
    });
    // (The line's own path is labelled with its first point: compared as sets.)
    expect([...new Set(points)].toSorted()).toEqual(fromTable.toSorted());
    expect(rows.map((r) => r[5])).toEqual(['420.0 ms', '510.5 ms', '880.0 ms', '990.0 ms']);
    // goodput ÷ capacity, refusals, failures and tickets sold twice: every row says them.
    expect(rows.map((r) => r[4])).toEqual(['1.00×', '0.99×', '0.97×', '0.94×']);
    expect(rows.map((r) => r[6])).toEqual(['0', '0', '1,800', '4,500']);
    // Who refused: not read for the closed loop; nobody at 1×; the gateway's in-flight limit past it.
    expect(rows.map((r) => r[7])).toEqual([
      '–',
      'none',
      'gateway in_flight 1,800',
      'gateway in_flight 4,500',
    ]);
    expect(rows.map((r) => r[9])).toEqual(['0', '0', '0', '0']);
    expect(rows.map((r) => r[11])).toEqual(['0', '0', '0', '0']);
  });

  it('when a run has an overload phase, then the summary names the goodput at the top load against the capacity and the target', () => {
    const { report, summary } = written();
    for (const text of [report, summary]) {
      const row = tableRows(text, 'figure').find((r) => r[0]!.startsWith('overload:'));
      expect(row).toEqual([
        'overload: goodput at 5× capacity, `POST /api/orders`',
        '281 answers/s; p99 admitted 990.0 ms; 4,500 refused (503 + Retry-After); 0 other 5xx; 0 oversold',
        'capacity 300 answers/s',
        '0.94× (target ≥ 0.9)',
      ]);
    }
  });

  it('when requests fail at the top load, then the summary says which were server errors and which the client gave up on', () => {
    const failing: OverloadStep = {
      ...steps[2]!,
      statuses: { '201': 100, '400': 6643, '503': 4500, '502': 3, error: 84, timeout: 250 },
      otherServerErrors: 3 + 84 + 250,
    };
    const run = fixtureRun({
      overload: [...steps.slice(0, 2), failing],
      overloadCapacity: capacity,
    });
    const row = tableRows(renderSummary(run.results), 'figure').find((r) =>
      r[0]!.startsWith('overload:'),
    );
    expect(row?.[1]).toBe(
      "281 answers/s; p99 admitted 990.0 ms; 4,500 refused (503 + Retry-After); 3 other 5xx, 84 connection errors, 250 unanswered at the client's deadline; 0 oversold",
    );
  });

  it('when the steps were metered, then the CPU table says who spent the cores and how many connections waited for the gateway to accept them', () => {
    const cpu = { seconds: 10, machine: 0.95, cores: { gateway: 0.7, orders: 0.4, bench: 0.35 } };
    const metered = [
      { ...capacity, cpu },
      { ...steps[0]!, cpu, listen: { maxAcceptQueue: 12, overflows: 0 } },
      // A step whose queue was not read (not Linux) says so rather than 0.
      { ...steps[1]!, cpu },
      { ...steps[2]!, cpu, listen: { maxAcceptQueue: 3315, overflows: 11283 } },
    ];
    const run = fixtureRun({ overload: metered.slice(1), overloadCapacity: metered[0]! });
    const report = renderReport({ ...run, bottlenecks: '', charts: [], chartsFolder: 'charts' });
    // The CPU table is the second starting with "offered"; its last two columns are the queue's.
    const cpuTable = report.slice(report.search(/^\| offered +\| machine busy/m));
    const header = cpuTable
      .split('\n')[0]!
      .slice(1, -1)
      .split(' | ')
      .map((h) => h.trim());
    expect(header.slice(-2)).toEqual([
      'waiting to be accepted by the gateway, most',
      'listen queue overflows',
    ]);
    const rows = tableRows(cpuTable, 'offered');
    expect(rows.map((r) => [r[0], r[2], r.at(-2), r.at(-1)])).toEqual([
      ['capacity (closed loop)', '0.70', '–', '–'],
      ['1× capacity', '0.70', '12', '0'],
      ['2× capacity', '0.70', '–', '–'],
      ['5× capacity', '0.70', '3,315', '11,283'],
    ]);
  });

  it('when a run has no overload phase, then there is neither its section nor its summary row', () => {
    const run = fixtureRun();
    const report = renderReport({ ...run, bottlenecks: '', charts: [], chartsFolder: 'charts' });
    expect(report).not.toContain('Overload: the flash sale past capacity');
    expect(tableRows(report, 'figure').some((r) => r[0]!.startsWith('overload:'))).toBe(false);
  });
});
