import { describe, expect, it } from 'vitest';
import { summarize } from '../harness/stats.js';
import { renderReport } from '../report.js';
import type { OverloadStep, PhaseResults } from '../results.js';
import { fixtureRun } from './fixture-run.js';
import { tableRows } from './report-tables.js';

const step = (
  multiple: number,
  goodput: number,
  failures = 0,
  withoutHeader = 0,
): OverloadStep => ({
  target: 'gateway → orders (flash sale)',
  multiple,
  offeredPerSecond: multiple * 300,
  goodputPerSecond: goodput,
  admittedP99: 900,
  capacityPerSecond: 300,
  sent: multiple * 1_800,
  refused: 500,
  refusedWithRetryAfter: 500 - withoutHeader,
  otherServerErrors: failures,
  created: 100,
  oversold: 0,
});

/** The Targets table of a report of `results`, as { figure: [measured, bound, verdict] }. */
function verdicts(run: ReturnType<typeof fixtureRun>, results: PhaseResults = run.results) {
  const report = renderReport({
    ...run,
    results: results as typeof run.results,
    bottlenecks: '',
    targets: '### Why\n\nThe hand-written account.',
    charts: [],
    chartsFolder: 'charts',
  });
  return {
    report,
    rows: Object.fromEntries(
      tableRows(report, 'issue 18 target').map(([figure, ...rest]) => [figure!, rest.slice(0, 3)]),
    ),
    cpu: Object.fromEntries(tableRows(report, 'issue 18 target').map((row) => [row[0]!, row[4]])),
  };
}

describe('the Targets section of bench/REPORT.md', () => {
  it("when a run's ratios sit on either side of each bound, then each target is judged met or not met from them", () => {
    const run = fixtureRun({
      overload: [step(1, 300), step(5, 280)],
      overloadCapacity: step(0, 300),
    });
    run.results.readPath.find((t) => t.target === 'gateway')!.ratio.perSecond = 0.51;
    run.results.sale.ratio.ordersPerSecond = 0.49;
    run.results.sale.propagation.ratio.p99 = 3;
    run.results.expiry.cancelled = summarize([100, 200, 500]);
    run.results.expiry.reference = summarize([100, 110, 120]);
    run.results.expiry.referenceAtEarlier = summarize([50, 60, 90]);
    const { rows, report, cpu } = verdicts(run);

    expect(rows['read through the gateway ÷ node:http + pg reference']).toEqual([
      '0.51×',
      '≥ 0.50×',
      'met',
    ]);
    expect(rows['flash sale orders/s ÷ `createOrder` on Postgres']).toEqual([
      '0.49×',
      '≥ 0.50×',
      '**not met**',
    ]);
    expect(rows['`ticket.created` propagation p99, sale ÷ idle']).toEqual(['3.00×', '≤ 3×', 'met']);
    expect(
      rows['1,000 expiries: cancelled p99 ÷ bare BullMQ p99 (same worker concurrency)'],
    ).toEqual(['4.17×', '≤ 5×', 'met']);
    expect(rows['the same ÷ bare BullMQ at concurrency 50, its fastest (stricter)']).toEqual([
      '5.56×',
      '≤ 5×',
      '**not met**',
    ]);
    expect(rows['5× overload: goodput ÷ capacity measured in the same run']).toEqual([
      '0.93×',
      '≥ 0.9×',
      'met',
    ]);
    expect(rows['overload: failures other than 503 with `Retry-After` (every step)']?.[2]).toBe(
      'met',
    );
    expect(report).toContain('2 of 7 targets are not met in this run.');
    // CPU per request: the fixture's machine is 80 % busy on 2 cores; the gateway served
    // 249.75 req/s and the reference 625.25; each sale side used 1.6 core-s per round
    // of 201 and 199 attempts.
    expect(cpu['read through the gateway ÷ node:http + pg reference']).toBe(
      '6.41 ms ÷ 2.56 ms = 2.50× (0.40×)',
    );
    expect(cpu['flash sale orders/s ÷ `createOrder` on Postgres']).toBe(
      '8.00 ms ÷ 8.00 ms = 1.00× (1.00×)',
    );
    expect(cpu['`ticket.created` propagation p99, sale ÷ idle']).toBe('–');
    // The hand-written account follows the table, and the section sits before section 1.
    expect(report.indexOf('## Targets')).toBeLessThan(report.indexOf('The hand-written account'));
    expect(report.indexOf('The hand-written account')).toBeLessThan(report.indexOf('## 1. Read'));
  });

  it('when a step had a 5xx or a 503 without Retry-After, then the overload failures target is not met', () => {
    for (const [failures, withoutHeader] of [
      [1, 0],
      [0, 3],
    ]) {
      const run = fixtureRun({
        overload: [step(1, 300), step(5, 290, failures, withoutHeader)],
        overloadCapacity: step(0, 300),
      });
      const { rows } = verdicts(run);
      expect(rows['overload: failures other than 503 with `Retry-After` (every step)']).toEqual([
        `${failures} (other 5xx, connection errors, unanswered); ${withoutHeader} 503 without Retry-After`,
        '0',
        '**not met**',
      ]);
    }
  });

  it('when the overload phase did not run, then its target says so instead of a verdict', () => {
    const { rows } = verdicts(fixtureRun());
    expect(rows['overload: goodput at 5× ÷ capacity']).toEqual(['not run', '≥ 0.9×', 'not run']);
  });
});
