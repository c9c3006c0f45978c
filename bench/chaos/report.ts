import { markdownTable } from '../harness/markdown.js';
import { type Chart, chartLinks } from '../plot/render.js';
import { classOf, type RequestRecord } from './client.js';
import { type FaultRecord, seconds } from './faults.js';
import {
  CONSUMERS,
  countBy,
  expirationTraces,
  formatCounts,
  type InvariantResult,
} from './invariants.js';
import type { Acknowledged } from './load.js';
import type { EventDatabase, Snapshot } from './snapshot.js';

/** Recovery to ready, per fault, must stay within this. */
export const RECOVERY_LIMIT_MS = 10_000;

export interface RunFacts {
  date: string;
  command: string;
  machine: string[];
  settings: string[];
  startedSystemInMs: number;
  loadMs: number;
  settleMs: number;
  settled: string;
  totalMs: number;
  logDir: string;
  iterations: number;
}

interface ErrorCount {
  total: number;
  unavailable: number;
  other: number;
  breakdown: string;
}

export function countErrors(records: RequestRecord[], from: number, to: number): ErrorCount {
  const inWindow = records.filter((r) => r.at >= from && r.at < to);
  const errors = inWindow.filter((r) => classOf(r.outcome) !== 'answered');
  return {
    total: inWindow.length,
    unavailable: errors.filter((r) => classOf(r.outcome) === 'unavailable').length,
    other: errors.filter((r) => classOf(r.outcome) === 'other').length,
    breakdown: formatCounts(countBy(errors, (r) => String(r.outcome))),
  };
}

/** Recovery within the limit: every service after its own restart and after a dependency's. */
export function readinessInvariant(faults: FaultRecord[]): InvariantResult {
  const violations: string[] = [];
  for (const fault of faults) {
    if (fault.error) violations.push(`${fault.name}: ${fault.error}`);
    const all = fault.allReadyAt === undefined ? Infinity : fault.allReadyAt - fault.returnedAt;
    if (all > RECOVERY_LIMIT_MS)
      violations.push(
        `${fault.name}: all services ready ${seconds(fault.allReadyAt, fault.returnedAt)} after ${fault.target} returned`,
      );
    if (fault.kind === 'service') {
      const own = fault.ownReadyAt === undefined ? Infinity : fault.ownReadyAt - fault.returnedAt;
      if (own > RECOVERY_LIMIT_MS)
        violations.push(
          `${fault.name}: ready ${seconds(fault.ownReadyAt, fault.returnedAt)} after its restart`,
        );
    }
  }
  const worst = Math.max(
    ...faults.map((f) => (f.allReadyAt === undefined ? Infinity : f.allReadyAt - f.returnedAt)),
  );
  return {
    name: `Every service ready (/readyz 200) within ${RECOVERY_LIMIT_MS / 1000} s of its restart or its dependency's return`,
    pass: violations.length === 0,
    summary: `${faults.length} faults, slowest full recovery ${Number.isFinite(worst) ? `${(worst / 1000).toFixed(1)} s` : 'never'}`,
    violations,
    violationCount: violations.length,
  };
}

function eventCounts(s: Snapshot): string {
  const published = countBy(s.events, (e) => e.subject);
  const rows = [['subject', 'published (on the stream)', 'handled by', 'dead-lettered']];
  for (const subject of Object.keys(CONSUMERS)) {
    const ids = new Set(s.events.filter((e) => e.subject === subject).map((e) => e.envelope.id));
    const handledBy = CONSUMERS[subject]!.map((consumer) => {
      if (consumer === 'expiration') {
        const seen = s.events.filter(
          (e) =>
            e.subject === subject &&
            expirationTraces(e).some((traces) => traces(s).has(String(e.envelope.data.id))),
        ).length;
        return `expiration ${seen} (Redis job or cancel mark)`;
      }
      let handled = 0;
      for (const idsOfConsumer of s.inbox[consumer].values())
        for (const id of idsOfConsumer) if (ids.has(id)) handled++;
      return `${consumer} ${handled}`;
    });
    const dead = s.deadLetters.filter((d) => d.eventId && ids.has(d.eventId)).length;
    rows.push([subject, String(published[subject] ?? 0), handledBy.join(', '), String(dead)]);
  }
  return markdownTable(rows);
}

/** Each dead letter with what it was about and what became of its order. */
function deadLetterRows(s: Snapshot): string[] {
  const orders = new Map(s.orders.map((o) => [o.id, o]));
  const tickets = new Map(s.tickets.map((t) => [t.id, t]));
  const rows = [
    [
      'consumer',
      'event',
      'deliveries, error',
      'also handled (inbox)?',
      'order ends',
      'its ticket held by',
    ],
  ];
  for (const d of s.deadLetters.slice(0, 30)) {
    let event: { id?: string; type?: string; data?: { id?: string; orderId?: string } } = {};
    try {
      event = JSON.parse(d.payload);
    } catch {
      // shown raw below
    }
    const orderId = event.type?.startsWith('order.') ? event.data?.id : event.data?.orderId;
    const order = orderId ? orders.get(orderId) : undefined;
    const service = d.consumer.split('_')[0] as EventDatabase;
    const handled =
      d.eventId && s.inbox[service]
        ? [...s.inbox[service].values()].some((ids) => ids.has(d.eventId!))
        : false;
    const holder = order ? (tickets.get(order.ticket_id)?.order_id ?? 'nobody') : '—';
    rows.push([
      d.consumer,
      `${event.type ?? '?'} ${d.eventId ?? d.payload.slice(0, 40)}`,
      `${d.deliveries}, ${d.error.slice(0, 80)}`,
      handled ? 'yes (a redelivery of a handled event)' : '**no**',
      order ? `${order.id} ${order.status}` : '—',
      holder === order?.id ? 'that order' : holder,
    ]);
  }
  return ['Dead letters, each with the order it concerns as it ended:', '', markdownTable(rows)];
}

export function renderReport(input: {
  facts: RunFacts;
  faults: FaultRecord[];
  records: RequestRecord[];
  invariants: InvariantResult[];
  snapshot: Snapshot | undefined;
  acknowledged: Acknowledged;
  serverErrors: Array<{ at: number; route: string; body: string; requestId: string }>;
  /** Per service, the log lines saying it went down by itself. */
  crashes: Record<string, string[]>;
  findings: string[];
  /** The charts of this run, opening the report; in `chartsFolder`, relative to it. */
  charts: Chart[];
  chartsFolder: string;
}): string {
  const { facts, faults, records, invariants, snapshot, acknowledged } = input;
  const pass = invariants.every((i) => i.pass);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines: string[] = [
    '# Chaos run: buy-and-pay under fire',
    '',
    `${facts.date}. Result: **${pass ? 'PASS' : 'FAIL'}** (${invariants.filter((i) => i.pass).length}/${invariants.length} invariants hold). How to read this: [docs/chaos.md](../../docs/chaos.md).`,
    '',
    chartLinks(input.chartsFolder, input.charts),
    '',
    '## Machine and command',
    '',
    ...facts.machine.map((line) => `- ${line}`),
    '',
    '```sh',
    facts.command,
    '```',
    '',
    ...facts.settings.map((line) => `- ${line}`),
    `- System started in ${s(facts.startedSystemInMs)}; load ran ${s(facts.loadMs)} (${facts.iterations} buyer iterations, ${records.length} requests); settling took ${s(facts.settleMs)} (${facts.settled}); whole run ${s(facts.totalMs)}.`,
    `- Service logs of this run: \`${facts.logDir}\` (kept after the run).`,
    '',
    '## Faults',
    '',
    'Times are seconds since the load started. "During" is from the fault until every service answered `/readyz` 200 again; "after" is from then until the next fault. Unavailable = 502, 503, connection refused/reset or timeout; other = any other 5xx or an unreadable body.',
    '',
    markdownTable([
      [
        'fault',
        'at',
        'down',
        'target back → its /readyz 200',
        '→ all /readyz 200',
        'went unready',
        'requests during',
        'unavailable during',
        'other errors during',
        'errors after recovery',
      ],
      ...faults.map((fault) => {
        const recoveredAt = fault.allReadyAt ?? fault.windowEndsAt;
        const during = countErrors(records, fault.startedAt, recoveredAt);
        const after = countErrors(records, recoveredAt, fault.windowEndsAt);
        const detail = (e: ErrorCount) => (e.breakdown !== 'none' ? ` (${e.breakdown})` : '');
        return [
          fault.name,
          s(fault.startedAt),
          s(fault.returnedAt - fault.startedAt),
          fault.kind === 'service' ? seconds(fault.ownReadyAt, fault.returnedAt) : '—',
          seconds(fault.allReadyAt, fault.returnedAt),
          fault.unready.join(', ') || 'none',
          String(during.total),
          `${during.unavailable}${detail(during)}`,
          String(during.other),
          `${after.unavailable + after.other}${detail(after)}`,
        ];
      }),
    ]),
  ];
  const firstFault = faults[0]?.startedAt ?? Infinity;
  const warmup = countErrors(records, 0, firstFault);
  const total = countErrors(records, 0, Infinity);
  lines.push(
    '',
    `Before the first fault: ${warmup.total} requests, ${warmup.unavailable + warmup.other} errors${warmup.breakdown !== 'none' ? ` (${warmup.breakdown})` : ''}. Whole run: ${total.total} requests, ${total.unavailable} unavailable, ${total.other} other errors.`,
    '',
    '## Invariants',
    '',
    markdownTable([
      ['invariant', 'result', 'counts'],
      ...invariants.map((i) => [
        i.name,
        i.pass ? 'PASS' : `**FAIL** (${i.violationCount})`,
        i.summary,
      ]),
    ]),
    '',
  );
  for (const failed of invariants.filter((i) => !i.pass)) {
    lines.push(
      `### FAIL: ${failed.name}`,
      '',
      `${failed.violationCount} violations; the first:`,
      '',
    );
    lines.push(...failed.violations.map((v) => `- ${v}`), '');
  }
  if (snapshot) {
    lines.push(
      '## Counts',
      '',
      `- Orders by final state: ${formatCounts(countBy(snapshot.orders, (o) => o.status))}.`,
      `- Buyers' intents: ${formatCounts(countBy(acknowledged.orders.values(), (o) => o.intent))}.`,
      `- Payments: ${snapshot.payments.length} (${formatCounts(countBy(snapshot.payments, (p) => p.status))}; refunds caused by cancel-vs-pay races: ${snapshot.payments.filter((p) => p.status === 'refunded').length}); declined attempts: ${snapshot.declines}; users signed up: ${acknowledged.users}; tickets: ${snapshot.tickets.length}.`,
      `- Paid (201) after the buyer's own cancel had answered 204: ${[...acknowledged.cancelled].filter((id) => acknowledged.payments.has(id)).length} of ${acknowledged.cancelled.size} cancelled orders (payments had not yet heard of the cancel; each must end voided, never captured).`,
      `- Dead letters: ${snapshot.deadLetters.length}${snapshot.deadLetters.length ? ` (${formatCounts(countBy(snapshot.deadLetters, (d) => d.consumer))})` : ''}.`,
      '',
      eventCounts(snapshot),
      '',
    );
    if (snapshot.deadLetters.length > 0) lines.push(...deadLetterRows(snapshot), '');
  }
  const crashed = Object.entries(input.crashes);
  lines.push(
    '## Processes that went down by themselves',
    '',
    crashed.length === 0
      ? 'None: no service log has an unexpected stop, a failed start or a fatal line.'
      : 'From the service logs (an unexpected error, a failed start or a fatal line):',
    '',
  );
  for (const [service, found] of crashed) {
    lines.push(`- ${service}: ${found.length}× — ${found[0]}`);
  }
  if (crashed.length > 0) lines.push('');
  if (input.serverErrors.length > 0) {
    lines.push('## 500 answers', '', 'API.md: "A 500 is always a bug". The first:', '');
    for (const e of input.serverErrors.slice(0, 8)) {
      lines.push(
        `- ${s(e.at)} \`${e.route}\` (request ${e.requestId}): \`${e.body.replaceAll('`', "'")}\``,
      );
    }
    lines.push('');
  }
  if (input.findings.length > 0) {
    lines.push('## Findings', '', ...input.findings, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
