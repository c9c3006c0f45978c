import { describe, expect, it } from 'vitest';
import { nothingAcknowledged } from '../chaos/load.js';
import { readinessInvariant, renderReport } from '../chaos/report.js';
import { OUTCOME_NAMES, timelineChart, timelineOf } from '../chaos/timeline.js';
import { chartLinks, renderSvg } from '../plot/render.js';
import { chaosFixture } from './chaos-fixture.js';
import { svgTexts, tableRows } from './report-tables.js';

async function drawn() {
  const fixture = chaosFixture();
  const chart = timelineChart(timelineOf(fixture));
  const report = renderReport({
    facts: {
      date: '2026-12-01T10:00:00Z',
      command: 'npm run chaos',
      machine: ['2 CPUs'],
      settings: ['30 virtual users'],
      startedSystemInMs: 1_000,
      loadMs: fixture.loadMs,
      settleMs: 1_000,
      settled: 'settled',
      totalMs: 45_000,
      logDir: '/tmp/logs',
      iterations: 10,
    },
    faults: fixture.faults,
    records: fixture.records,
    invariants: [readinessInvariant(fixture.faults)],
    snapshot: undefined,
    acknowledged: nothingAcknowledged(),
    serverErrors: [],
    crashes: {},
    findings: [],
    charts: [chart],
    chartsFolder: 'charts',
  });
  /** What each mark of the rendered chart says (its aria-label). */
  const marks = svgTexts(await renderSvg(chart), '.role-mark path', 'aria-label');
  return { report, chart, marks };
}

describe("bench/chaos/REPORT.md's timeline holds what its tables hold", () => {
  it('when the report is written, then it opens with the timeline', async () => {
    const { report, chart } = await drawn();

    const at = report.indexOf(chartLinks('charts', [chart]));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(report.indexOf('## Machine and command'));
  });

  it('when requests are drawn per second, then they add up to the run’s requests, unavailable and other errors', async () => {
    const { report, marks } = await drawn();
    const [, total, unavailable, other] =
      /Whole run: (\d+) requests, (\d+) unavailable, (\d+) other errors/.exec(report)!;
    const drawnCount = (outcome: string) =>
      marks
        .map((label) => /^second \d+: (\d+) (.+)$/.exec(label))
        .filter((m) => m?.[2] === outcome)
        .reduce((n, m) => n + Number(m![1]), 0);

    expect(drawnCount(OUTCOME_NAMES.unavailable)).toBe(Number(unavailable));
    expect(drawnCount(OUTCOME_NAMES.other)).toBe(Number(other));
    expect(Object.values(OUTCOME_NAMES).reduce((n, o) => n + drawnCount(o), 0)).toBe(Number(total));
    expect(Number(unavailable)).toBeGreaterThan(0);
  });

  it('when faults are drawn, then each row of the faults table is marked where it started, with the services that went unready in it', async () => {
    const { report, marks } = await drawn();
    const rows = tableRows(report, 'fault');
    const windows = marks
      .map((label) => /^(.+) unready from ([\d.]+) s to ([\d.]+) s$/.exec(label))
      .filter((m) => m !== null)
      .map(([, service, from]) => ({ service: service!, from: Number(from) }));

    expect(rows.length).toBe(2);
    for (const row of rows) {
      const [name, at] = row;
      const mark = marks.find((label) => label.startsWith(`${name} at ${at},`));
      expect(mark, `a mark for ${name}`).toBeDefined();
      const [, start, ready] = /at ([\d.]+) s, back .* all ready at ([\d.]+) s$/.exec(mark!)!;
      const wentUnready = windows
        .filter((w) => w.from >= Number(start) && w.from <= Number(ready))
        .map((w) => w.service)
        .sort();
      expect(wentUnready.join(', ') || 'none').toBe(row[5]);
    }
  });
});
