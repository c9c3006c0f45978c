import type { Machine } from '../../harness/machine.js';
import { count, markdownTable, ratio } from '../../harness/markdown.js';
import { median } from '../../harness/stats.js';
import type { Interruption, ScenarioResult, ScenarioSettings, Variant } from './scenarios.js';

export interface ScenarioRow {
  variant: Variant;
  interruption: Interruption;
  batch: number;
  result: ScenarioResult;
}

export interface RoundResult {
  round: number;
  workload: 'clean' | 'transient failures';
  variant: Variant;
  result: ScenarioResult;
}

export interface ReportInput {
  command: string;
  date: Date;
  machine: { before: Machine; after: Machine };
  settings: Omit<ScenarioSettings, 'variant' | 'interruption' | 'faults'> & {
    transientRate: number;
    poisonEvery: number;
  };
  ordering: ScenarioRow[];
  rounds: RoundResult[];
}

const INTERRUPTIONS: Record<Interruption, string> = {
  none: 'none',
  restart: 'graceful restart (rewind)',
  crash: 'crash, new process rewinds to the ack floor',
  'crash-no-rewind': 'crash, new process resumes the durable as is',
  'two-instances': 'two processes share the durable (as two replicas)',
};

function orderingTable(rows: ScenarioRow[]): string {
  return markdownTable([
    [
      'consumer',
      'interruption',
      'a key’s events apart',
      'events',
      'handled',
      'dead-lettered',
      'duplicates (inbox)',
      'violations',
      'keys out of order',
    ],
    ...rows.map(({ variant, interruption, batch, result: r }) => [
      variant,
      INTERRUPTIONS[interruption],
      `≤ ${2 * batch - 1}`,
      count(r.events),
      count(r.handled),
      count(r.deadLettered),
      count(r.duplicates),
      `**${count(r.violations)}**`,
      count(r.keysOutOfOrder),
    ]),
  ]);
}

const FAMILY: Variant[] = ['family-by-key', 'family-by-lane'];

function throughputTable(rounds: RoundResult[]): string {
  const rows = [
    [
      'workload',
      'per-subject: median events/s',
      ...FAMILY.map((v) => `${v}: median events/s`),
      ...FAMILY.map((v) => `${v} ÷ per-subject: median (each round)`),
    ],
  ];
  for (const workload of ['clean', 'transient failures'] as const) {
    const of = (variant: Variant) =>
      rounds.filter((r) => r.workload === workload && r.variant === variant);
    const perSubject = of('per-subject').map((r) => r.result.eventsPerSecond);
    const ratios = FAMILY.map((variant) =>
      of(variant).map((r, i) => r.result.eventsPerSecond / perSubject[i]!),
    );
    rows.push([
      workload,
      count(median(perSubject)),
      ...FAMILY.map((variant) => count(median(of(variant).map((r) => r.result.eventsPerSecond)))),
      ...ratios.map((each) => `${ratio(median(each))} (${each.map(ratio).join(', ')})`),
    ]);
  }
  return markdownTable(rows);
}

function load({ before, after }: ReportInput['machine']): string {
  const avg = (m: Machine) => m.load.join(' / ');
  return `${before.cpus} cores (${before.cpuModel}), Node ${before.node}; load average (1/5/15 min) ${avg(before)} before, ${avg(after)} after; other Node processes on the machine: ${before.otherNodeProcesses} before, ${after.otherNodeProcesses} after.`;
}

export function renderReport(input: ReportInput): string {
  const { settings: s } = input;
  const violations = input.ordering.filter((r) => r.result.firstViolations.length > 0);
  return `# Ordered family consumer: prototype report

Written by \`${input.command}\` ([run.ts](run.ts)) on ${input.date.toISOString().slice(0, 16).replace('T', ' ')} UTC.
The decision it informs: [docs/decisions/ordered-consumers.md](../../../docs/decisions/ordered-consumers.md).

Machine: ${load(input.machine)}

Workload: ${count(s.keys)} tickets, one order each, \`order.created\` then \`order.cancelled\`,
published in batches of keys (a batch's creations, then its cancellations; ${s.batch} keys a
batch unless the ordering table says otherwise), all before consuming. Handler: ${s.costMs} ms (an awaited timer, standing in for the inbox
transaction), then a commit to the ledger that checks per key order. Today's consumers:
\`EventConsumers\` of @gittix/common, one durable per subject, concurrency ${s.concurrency} each;
the family consumer: one durable on \`<prefix>.order.>\`, in order per ticket id.
Both family variants handle ${2 * s.concurrency} events at once (one queue per ticket, or ${2 * s.concurrency}
lanes by the ticket id's hash). All retry 5 times with 100 ms doubling backoff (today's by nak, the family's in process),
then dead-letter; ack wait ${s.ackWaitMs} ms.

## Ordering

Injected failures: ${(s.transientRate * 100).toFixed(0)} % of events fail their first one or two
attempts; every ${s.poisonEvery}th ticket's \`order.created\` always fails (dead-lettered, and in the
family consumer its key is parked so its cancel follows it to the dead letters).
Restarts and crashes happen when 40 % of the events are handled.
A violation is an event committed while an earlier event of its key was not (or was
dead-lettered).

${orderingTable(input.ordering)}
${violations.length === 0 ? '' : `\nFirst violations seen:\n\n${violations.map((r) => `- ${r.variant}, ${r.interruption}, ≤ ${2 * r.batch - 1} apart: ${r.result.firstViolations.join('; ')}`).join('\n')}\n`}
## Throughput

${[...new Set(input.rounds.map((r) => r.round))].length} rounds; in each, the three variants on the same workload, the one going first
rotating, so the machine's load meets all three alike. Events per second from the
consumer's start to the last event handled (publishing not included).
"Transient failures": ${(s.transientRate * 100).toFixed(0)} % of events fail once or twice, no poison.

${throughputTable(input.rounds)}
`;
}
