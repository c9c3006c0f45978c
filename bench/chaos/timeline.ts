import type { TopLevelSpec } from 'vega-lite';
import type { Chart } from '../plot/render.js';
import { classOf, type OutcomeClass, type RequestRecord } from './client.js';
import type { FaultRecord } from './faults.js';
import type { ReadinessChange } from './readiness.js';

/** What the chaos run's timeline chart draws, saved with the run (times in ms since the load started). */
export interface ChaosTimeline {
  loadMs: number;
  /** Requests answered in each second of the load, by outcome. */
  perSecond: Array<{ second: number } & Record<OutcomeClass, number>>;
  faults: Array<Pick<FaultRecord, 'name' | 'target' | 'startedAt' | 'returnedAt' | 'allReadyAt'>>;
  /** Each stretch during which one service's /readyz did not answer 200. */
  unready: Array<{ service: string; from: number; to: number }>;
  /** The services polled, in the order the chart lists them. */
  services: string[];
}

export const OUTCOME_NAMES: Record<OutcomeClass, string> = {
  answered: 'answered (< 500)',
  unavailable: 'unavailable (502, 503, refused, timeout)',
  other: 'other errors (500, unreadable)',
};

/** The timeline of a run from what it recorded: the request log, the faults and the readiness changes. */
export function timelineOf(input: {
  loadMs: number;
  records: RequestRecord[];
  faults: FaultRecord[];
  changes: ReadinessChange[];
  services: string[];
}): ChaosTimeline {
  const seconds = Math.max(1, Math.ceil(input.loadMs / 1000));
  const perSecond = Array.from({ length: seconds }, (_, second) => ({
    second,
    answered: 0,
    unavailable: 0,
    other: 0,
  }));
  for (const record of input.records) {
    const bucket = perSecond[Math.min(seconds - 1, Math.max(0, Math.floor(record.at / 1000)))]!;
    bucket[classOf(record.outcome)]++;
  }
  const unready: ChaosTimeline['unready'] = [];
  const since = new Map<string, number>();
  for (const change of [...input.changes].sort((a, b) => a.at - b.at)) {
    if (!change.ready && !since.has(change.service)) since.set(change.service, change.at);
    if (change.ready && since.has(change.service)) {
      unready.push({ service: change.service, from: since.get(change.service)!, to: change.at });
      since.delete(change.service);
    }
  }
  // Still unready when the run stopped polling: drawn to the end of the load.
  for (const [service, from] of since) unready.push({ service, from, to: input.loadMs });
  return {
    loadMs: input.loadMs,
    perSecond,
    faults: input.faults.map(({ name, target, startedAt, returnedAt, allReadyAt }) => ({
      name,
      target,
      startedAt,
      returnedAt,
      allReadyAt,
    })),
    unready: unready.filter((u) => u.from < input.loadMs),
    services: input.services,
  };
}

/**
 * The run at a glance: requests per second by outcome, each fault shaded from
 * its start to every service ready again (darker while the target was down),
 * and below, each service's unready windows on the same time axis.
 */
export function timelineChart(timeline: ChaosTimeline): Chart {
  const title =
    'Chaos run: requests per second by outcome, faults shaded, each service’s unready windows';
  const end = timeline.loadMs / 1000;
  const x = {
    type: 'quantitative' as const,
    title: 'seconds since the load started',
    scale: { domain: [0, end], nice: false },
  };
  const outcomes = Object.keys(OUTCOME_NAMES) as OutcomeClass[];
  // Stacked by hand (ranged bars do not stack): answers at the bottom, other errors on top.
  const requests = timeline.perSecond.flatMap((s) => {
    let low = 0;
    return outcomes.map((outcome) => {
      const row = {
        second: s.second,
        next: s.second + 1,
        outcome: OUTCOME_NAMES[outcome],
        requests: s[outcome],
        low,
        high: low + s[outcome],
        says: `second ${s.second}: ${s[outcome]} ${OUTCOME_NAMES[outcome]}`,
      };
      low = row.high;
      return row;
    });
  });
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const faults = timeline.faults.map((f) => ({
    label: f.target,
    start: f.startedAt / 1000,
    back: f.returnedAt / 1000,
    ready: (f.allReadyAt ?? timeline.loadMs) / 1000,
    says: `${f.name} at ${seconds(f.startedAt)}, back at ${seconds(f.returnedAt)}, all ready at ${f.allReadyAt === undefined ? 'never' : seconds(f.allReadyAt)}`,
  }));
  const unready = timeline.unready.map((u) => ({
    service: u.service,
    from: u.from / 1000,
    // At least 0.2 s wide, so that a blip is still seen.
    to: Math.max(u.to, u.from + 200) / 1000,
    says: `${u.service} unready from ${seconds(u.from)} to ${seconds(u.to)}`,
  }));
  const says = { description: { field: 'says' } } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    vconcat: [
      {
        width: 760,
        height: 260,
        layer: [
          {
            data: { values: faults },
            mark: { type: 'rect', color: '#f4c7c3', opacity: 0.5 },
            encoding: { x: { field: 'start', ...x }, x2: { field: 'ready' }, ...says },
          },
          {
            data: { values: faults },
            mark: { type: 'rect', color: '#e57368', opacity: 0.35, aria: false },
            encoding: { x: { field: 'start', ...x }, x2: { field: 'back' } },
          },
          {
            data: { values: requests },
            transform: [{ filter: 'datum.requests > 0' }],
            mark: { type: 'rect' },
            encoding: {
              x: { field: 'second', ...x },
              x2: { field: 'next' },
              y: { field: 'low', type: 'quantitative', title: 'requests per second' },
              y2: { field: 'high' },
              ...says,
              color: {
                field: 'outcome',
                type: 'nominal',
                title: null,
                scale: {
                  domain: outcomes.map((o) => OUTCOME_NAMES[o]),
                  range: ['#9ab8d6', '#f28e2b', '#d62728'],
                },
              },
            },
          },
          {
            data: { values: faults },
            mark: {
              type: 'text',
              align: 'left',
              baseline: 'top',
              dx: 2,
              dy: 2,
              fontSize: 10,
              color: '#7f2019',
            },
            encoding: { x: { field: 'start', ...x }, y: { value: 0 }, text: { field: 'label' } },
          },
        ],
      },
      {
        title: { text: 'unready: /readyz not 200', fontSize: 11, fontWeight: 'normal' },
        width: 760,
        height: { step: 16 },
        data: { values: unready },
        mark: { type: 'bar', color: '#d62728', height: 10 },
        encoding: {
          x: { field: 'from', ...x },
          x2: { field: 'to' },
          ...says,
          y: {
            field: 'service',
            type: 'nominal',
            title: null,
            scale: { domain: timeline.services },
          },
        },
      },
    ],
  };
  return { file: 'timeline.svg', title, spec };
}
