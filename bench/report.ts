import type { CpuUsage } from './harness/cpu.js';
import { count, markdownTable, ms, ratio } from './harness/markdown.js';
import type { Summary } from './harness/stats.js';
import { overloadSection, overloadSummaryRow } from './overload/report.js';
import type { BenchSettings } from './phases.js';
import { type Chart, chartLinks } from './plot/render.js';
import type { ReadTargetResult } from './read-path/measure.js';
import { EXPIRY_NAMES, PROPAGATION_NAMES, READ_TARGET_NAMES } from './report-names.js';
import { saleTable } from './report-sale.js';
import { targetsSection } from './report-targets.js';
import { type BenchResults, EARLIER_WORKER_CONCURRENCY, type PhaseResults } from './results.js';

export interface ReportInput {
  command: string;
  settings: BenchSettings;
  results: BenchResults;
  /** Hand-written before/after of the bottlenecks removed (bench/bottlenecks.md). */
  bottlenecks: string;
  /** Hand-written, per target: where its limit is and what it would take (bench/targets.md). */
  targets?: string;
  /** The charts drawn from this run, opening the report; in `chartsFolder`, relative to it. */
  charts: Chart[];
  chartsFolder: string;
}

const p50p99 = (s: Summary) => `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}`;
const perSecond = (value: number, unit = 'req/s') => `${count(value)} ${unit}`;

/** The figures of the issue, one line each: GitTix, its reference, the ratio. */
function summaryRows(r: PhaseResults): string[][] {
  const readRow = (
    target: 'tickets' | 'gateway' | 'referenceProxy',
    name: string,
    results: ReadTargetResult[],
  ) => {
    const read = Object.fromEntries(results.map((t) => [t.target, t]));
    const ref = read.reference!;
    const t = read[target]!;
    return [
      name,
      `${perSecond(t.perSecond)}; ${p50p99(t.latency)}`,
      `${perSecond(ref.perSecond)}; ${p50p99(ref.latency)}`,
      `${ratio(t.ratio.perSecond)} throughput; latency p50 ${ratio(t.ratio.p50)}, p99 ${ratio(t.ratio.p99)}`,
    ];
  };
  const { readPath, sale, expiry } = r;
  return [
    ['figure', 'GitTix', 'reference', 'GitTix ÷ reference'],
    ...(readPath
      ? [
          readRow('tickets', 'read: `GET /api/tickets/:id`, tickets service', readPath),
          readRow('gateway', 'read: `GET /api/tickets/:id`, through the gateway', readPath),
          readRow(
            'referenceProxy',
            'read, for scale: a bare node:http proxy in front of the reference',
            readPath,
          ),
        ]
      : []),
    ...(r.readList
      ? [
          readRow(
            'tickets',
            'read: `GET /api/tickets?eventId=…&sort=price` (100 of 200), tickets service',
            r.readList,
          ),
          readRow(
            'gateway',
            'read: `GET /api/tickets?eventId=…&sort=price`, through the gateway',
            r.readList,
          ),
        ]
      : []),
    ...(sale ? saleRows(sale) : []),
    ...(expiry ? expiryRows(expiry) : []),
    ...[overloadSummaryRow(r)].filter((row) => row !== undefined),
  ];
}

function saleRows(sale: BenchResults['sale']): string[][] {
  return [
    [
      'flash sale: orders placed per second',
      perSecond(sale.gateway.ordersPerSecond, 'orders/s'),
      perSecond(sale.reference.ordersPerSecond, 'orders/s'),
      ratio(sale.ratio.ordersPerSecond),
    ],
    [
      'flash sale: latency per buyer',
      p50p99(sale.gateway.latency),
      p50p99(sale.reference.latency),
      `p50 ${ratio(sale.ratio.p50)}, p99 ${ratio(sale.ratio.p99)}`,
    ],
    [
      '`ticket.created` committed → in the orders replica, during the sale',
      p50p99(sale.propagation.duringSale),
      `idle system: ${p50p99(sale.propagation.idle)}`,
      `p50 ${ratio(sale.propagation.ratio.p50)}, p99 ${ratio(sale.propagation.ratio.p99)}`,
    ],
  ];
}

function expiryRows(expiry: BenchResults['expiry']): string[][] {
  return [
    [
      `expiration lag, ${count(expiry.orders)} orders due at once: fired`,
      p50p99(expiry.fired),
      `bare BullMQ: ${p50p99(expiry.reference)}`,
      `p50 ${ratio(expiry.fired.p50 / expiry.reference.p50)}, p99 ${ratio(expiry.fired.p99 / expiry.reference.p99)}`,
    ],
    [
      'expiration lag: order cancelled in orders',
      p50p99(expiry.cancelled),
      `bare BullMQ: ${p50p99(expiry.reference)}`,
      `p50 ${ratio(expiry.cancelled.p50 / expiry.reference.p50)}, p99 ${ratio(expiry.cancelled.p99 / expiry.reference.p99)}`,
    ],
    ...(expiry.referenceAtEarlier
      ? [
          [
            `expiration lag: order cancelled, beside bare BullMQ at concurrency ${EARLIER_WORKER_CONCURRENCY}`,
            p50p99(expiry.cancelled),
            `bare BullMQ: ${p50p99(expiry.referenceAtEarlier)}`,
            `p50 ${ratio(expiry.cancelled.p50 / expiry.referenceAtEarlier.p50)}, p99 ${ratio(expiry.cancelled.p99 / expiry.referenceAtEarlier.p99)}`,
          ],
        ]
      : []),
  ];
}

/** What `npm run bench` prints when it is done. */
export function renderSummary(r: PhaseResults): string {
  const proofs = r.sale?.rounds.map((round) => round.gateway.proof) ?? [];
  const exact = proofs.every(
    (p) => p.orders === p.ticketsWithAnOrder && p.ticketsOrderedTwice === 0,
  );
  return [
    markdownTable(summaryRows(r)),
    '',
    proofs.length === 0
      ? 'flash sale: not run'
      : `flash sale: ${proofs.map((p) => `${p.orders} orders on ${p.ticketsWithAnOrder} tickets, ${p.ticketsOrderedTwice} sold twice`).join('; ')} — ${exact ? 'exactly one order per ticket' : 'INVARIANT BROKEN'}`,
    `load average ${r.machine.before.load[0]} before, ${r.machine.after.load[0]} after; ${Math.round(r.seconds)} s in all`,
  ].join('\n');
}

const CPU_COLUMNS = [
  'gateway',
  'tickets',
  'orders',
  'expiration',
  'payments',
  'postgres',
  'nats',
  'redis',
  'bench',
  'reference',
  'reference proxy',
  'probe',
] as const;

function cpuRow(name: string, cpu: CpuUsage): string[] {
  return [
    name,
    `${Math.round(cpu.machine * 100)} %`,
    ...CPU_COLUMNS.map((c) => (cpu.cores[c] === undefined ? '' : cpu.cores[c]!.toFixed(2))),
  ];
}

const cpuHeader = ['while', 'machine busy', ...CPU_COLUMNS];

function chartsSection(folder: string, charts: Chart[]): string {
  if (charts.length === 0)
    return '## Charts\n\nNone: this run was saved before runs kept their samples.';
  return `## Charts

Drawn by the run itself from its samples (\`npm run bench -- --from <run>\` draws them again);
each legend names a row of the tables below, with its count and median.

${chartLinks(folder, charts)}`;
}

export function renderReport({
  command,
  settings,
  results: r,
  bottlenecks,
  targets = '',
  charts,
  chartsFolder,
}: ReportInput): string {
  const { sale, expiry, machine } = r;
  const readRows = [
    [
      'target',
      'requests',
      'req/s',
      'req/s per round',
      'p50',
      'p90',
      'p99',
      'max',
      '÷ ref req/s',
      '÷ ref p50',
      '÷ ref p99',
      'non-2xx',
    ],
    ...r.readPath.map((t) => [
      READ_TARGET_NAMES[t.target],
      count(t.requests),
      count(t.perSecond),
      t.perSecondByRound?.map(count).join(' / ') ?? '–',
      ms(t.latency.p50),
      ms(t.latency.p90),
      ms(t.latency.p99),
      ms(t.latency.max),
      ratio(t.ratio.perSecond),
      ratio(t.ratio.p50),
      ratio(t.ratio.p99),
      String(t.non2xx),
    ]),
  ];
  const readCpu = r.readPath.map((t) =>
    cpuRow(READ_TARGET_NAMES[t.target], { seconds: 0, machine: t.machineBusy, cores: t.cpu }),
  );
  const saleRows = saleTable(sale);
  const rejections = sale.rounds.map(
    (round, i) =>
      `round ${i + 1}: ${Object.entries(round.gateway.rejections)
        .map(([what, n]) => `\`${what}\` × ${count(n)}`)
        .join(', ')}`,
  );
  const saleCpu = sale.rounds.flatMap((round, i) => [
    cpuRow(`round ${i + 1}, gateway`, round.gateway.cpu),
    cpuRow(`round ${i + 1}, reference`, round.reference.cpu),
  ]);
  const propagationRows = [
    ['when', 'probe tickets', 'p50', 'p90', 'p99', 'max'],
    ...sale.rounds.flatMap((round, i) => [
      [`round ${i + 1}, during the sale`, ...summaryCells(round.gateway.propagation!)],
      [`round ${i + 1}, idle`, ...summaryCells(round.idlePropagation)],
    ]),
    [PROPAGATION_NAMES.duringSale, ...summaryCells(sale.propagation.duringSale)],
    [PROPAGATION_NAMES.idle, ...summaryCells(sale.propagation.idle)],
  ];
  const hops = sale.propagation.hops;
  const hopRows = hops && [
    ['hop, all rounds', 'probe tickets', 'p50', 'p90', 'p99', 'max'],
    [
      'committed → stored by JetStream (relay), during the sale',
      ...summaryCells(hops.duringSale.relay),
    ],
    ['committed → stored by JetStream (relay), idle', ...summaryCells(hops.idle.relay)],
    [
      'stored → in the orders replica (consumer), during the sale',
      ...summaryCells(hops.duringSale.consumer),
    ],
    ['stored → in the orders replica (consumer), idle', ...summaryCells(hops.idle.consumer)],
  ];
  const expiryRows = [
    ['lag behind the due instant', 'count', 'p50', 'p90', 'p99', 'max'],
    [EXPIRY_NAMES.reference, ...summaryCells(expiry.reference)],
    ...(expiry.referenceAtEarlier
      ? [[EXPIRY_NAMES.referenceAtEarlier, ...summaryCells(expiry.referenceAtEarlier)]]
      : []),
    [EXPIRY_NAMES.fired, ...summaryCells(expiry.fired)],
    [EXPIRY_NAMES.stored, ...summaryCells(expiry.stored)],
    [EXPIRY_NAMES.cancelled, ...summaryCells(expiry.cancelled)],
  ];
  const date = r.startedAt.slice(0, 16).replace('T', ' ');
  return `# GitTix under load

Written by \`npm run bench\` (bench/run.ts) on ${date} UTC; the before/after section
at the end comes from [bottlenecks.md](bottlenecks.md). Every figure is measured
in the same run as its reference, in alternating rounds, so that the load other
work puts on this shared machine hits both; read the ratios first.

${chartsSection(chartsFolder, charts)}

## Summary

${markdownTable(summaryRows(r))}

Correctness, counted in the databases after each round: ${sale.rounds
    .map(
      (round, i) =>
        `round ${i + 1}: **${round.gateway.proof.orders} orders on ${round.gateway.proof.ticketsWithAnOrder} tickets**, ${round.gateway.proof.ticketsOrderedTwice} sold twice, ${round.gateway.proof.orderCreatedEvents} \`order.created\` in the outbox, ${round.gateway.proof.reservedByWinner} tickets reserved by the winning order in the tickets service`,
    )
    .join(
      '; ',
    )}. Expiry: ${count(expiry.cancelledInDb)} of ${count(expiry.orders)} orders cancelled.

${targetsSection(r, targets)}
## 1. Read path: \`GET /api/tickets/:id\`

${settings.read.rounds} rounds of ${settings.read.seconds} s per target with ${settings.read.connections}
connections (autocannon, keep-alive), the targets' order rotating each round, after a
1 s warm-up each; requests cycle through ${count(settings.tickets)} tickets. The
reference is [reference-server.ts](read-path/reference-server.ts): \`node:http\`, the
same \`pg\` driver and pool size (10), the exact SQL Kysely builds for \`findTicket\`,
the same JSON out; no framework, validation, auth hook, logging or metrics. For scale,
[reference-proxy.ts](read-path/reference-proxy.ts) is a bare \`node:http\` proxy in front
of it (kept-alive connections, the answer streamed back): what one hop costs in Node
here, before any of the gateway's own work. Ratios are
medians over rounds of (target ÷ reference in the same round); latency percentiles are
over every request (autocannon's own histogram keeps whole milliseconds, so each
response's time is recorded instead).

${markdownTable(readRows)}

CPU while each target was under load (cores; 1.00 = one core busy; medians over rounds):

${markdownTable([cpuHeader, ...readCpu])}

## 2. Flash sale: ${count(settings.buyers)} buyers, ${count(settings.tickets)} tickets

Each round lists ${count(settings.tickets)} fresh tickets; ${count(settings.buyers)} signed-in buyers
(sessions signed with the system's key) send one \`POST /api/orders\` each through the
gateway, ${count(Math.ceil(settings.buyers / settings.tickets))} buyers per ticket sent side by side,
${settings.connections} in flight. The reference is [reference.ts](flash-sale/reference.ts): what
placing an order does in the database, as one plain SQL transaction (read the ticket,
insert the order with a partial unique index deciding the race, outbox row, NOTIFY,
commit) on a database of its own, the same buyers in the same order,
${settings.connections} in flight on a pool of 10 like the service's. Rounds alternate
A-B, B-A. Warm-up (200 buyers, 20 tickets, both sides) is left out.

${markdownTable(saleRows)}

Rejections through the gateway: ${rejections.join('; ')}.

CPU during each side (cores):

${markdownTable([cpuHeader, ...saleCpu])}

## 3. Event propagation: \`ticket.created\` → orders replica

While each gateway round runs, a probe lists a ticket through the gateway
${settings.probeRate} times a second; then, with the sale over and the tickets service's
reservations done, it does the same for ${settings.idleProbeSeconds} s on an otherwise idle
system (the reference). The latency of a probe ticket runs from its commit in the
tickets database to its replica row's commit in the orders database: triggers the
benchmark adds to both \`tickets\` tables \`NOTIFY\` for probe tickets only, Postgres
delivers a notification when the notifying transaction commits, and a separate
observer process ([observer.ts](propagation/observer.ts)) \`LISTEN\`s to both and
timestamps them on one clock, away from the load generator's busy event loop. The
path measured is the real one: tickets' outbox relay (woken by its NOTIFY),
JetStream, the orders consumer's transaction.

${markdownTable(propagationRows)}
${
  hopRows
    ? `
The same tickets split where JetStream stored their \`ticket.created\` (the stream
message's own timestamp, read back after each measurement and put on the observer's
clock): tickets' outbox relay before it, orders' consumer after it.

${markdownTable(hopRows)}
`
    : ''
}
## 4. Expiration: ${count(expiry.orders)} orders due at one instant

${count(expiry.orders)} orders are placed through the gateway (in ${expiry.placedInSeconds.toFixed(1)} s); once the
expiration service has scheduled each one's BullMQ job, the benchmark moves every job to one
instant ${settings.leadSeconds} s ahead with BullMQ's \`changeDelay\` (the API cannot give many orders one
instant; the last job moved ${ms(expiry.movedAheadMs)} before it). From there everything is the real
path: expiration worker → \`expiration.complete\` → orders service → \`order.cancelled\`. Lags
are measured from that instant, events read back from the stream. "fired" is the envelope's
\`occurredAt\`, set by the worker as it publishes; "cancelled" is the \`occurredAt\` of
\`order.cancelled\`, written inside the cancelling transaction. The reference is bare
BullMQ on the same Redis: as many jobs due at one instant, a worker of the same
concurrency (${settings.workerConcurrency ?? EARLIER_WORKER_CONCURRENCY}) doing nothing, run just before and just after (p50 ${ms(expiry.referenceRuns[0]!.p50)} / ${ms(expiry.referenceRuns[1]!.p50)}, p99 ${ms(expiry.referenceRuns[0]!.p99)} / ${ms(expiry.referenceRuns[1]!.p99)}).${
    expiry.referenceAtEarlier
      ? ` Bare BullMQ is slower at a high concurrency (its worker fetches that many jobs, one
round trip each, before it runs the first), so it also runs at the service's earlier
concurrency (${EARLIER_WORKER_CONCURRENCY}), its fastest: the stricter reference, in its own row.`
      : ''
  }

${markdownTable(expiryRows)}

CPU from the due instant to the last cancellation (cores):

${markdownTable([cpuHeader, cpuRow('expiry', expiry.cpu)])}
${r.overload ? `\n${overloadSection(r, 5)}\n` : ''}
${bottlenecks.trim()}

## Machine and command

- ${machine.before.cpus} CPUs (\`nproc\`), ${machine.before.cpuModel}, ${machine.before.memoryGiB} GiB RAM;
  Node ${machine.before.node}; PostgreSQL ${machine.postgres}; nats-server ${machine.nats}; Redis ${machine.redis}.
- Load average (1, 5, 15 min): ${machine.before.load.join(', ')} before, ${machine.after.load.join(', ')} after;
  ${machine.before.otherNodeProcesses} other Node processes were running when it started (other
  engineers' test runs share these 2 cores, Postgres, NATS and Redis).
- Services ran from ${settings.mode === 'dist' ? '`dist/` (compiled and bundled, as in production' : 'source through tsx (as the tests run them'}${r.buildSeconds === undefined ? ')' : `; the build, \`tsc -b\` and bundles, took ${r.buildSeconds.toFixed(1)} s)`}, \`LOG_LEVEL=${settings.logLevel}\`,
  \`NODE_ENV=production\`, each writing its log straight to a file; start-up took ${r.startupSeconds.toFixed(1)} s,
  the whole run ${Math.round(r.seconds)} s.${
    settings.consumersApart?.length
      ? `\n- Events consumed apart, as Compose and Kubernetes run them: ${settings.consumersApart.map((s) => `\`${s}\` ran with \`CONSUME_EVENTS=false\` and \`${s}-events\` beside it consumed its events (its CPU counted with it)`).join('; ')}.`
      : '\n- Every service in one process (`--consumers-apart none`), as `npm start` runs them.'
  }
- Command, from the repository root:

\`\`\`sh
${command}
\`\`\`

Everything it creates (databases, streams, Redis keys) is named \`gx_bench<id>_…\` and
dropped at the end, Ctrl-C included; each run's raw numbers go to \`bench/results/\` (not
kept in git), from which \`npm run bench -- --from <file>\` renders this report again.
`;
}

function summaryCells(s: Summary): string[] {
  return [count(s.count), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
}
