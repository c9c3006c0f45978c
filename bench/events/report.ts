import { availableParallelism, cpus, totalmem } from 'node:os';
import { ms, type Summary } from './stats.js';

export interface Phase {
  name: string;
  events: number;
  concurrency: number;
  /** Produced at a fixed rate rather than as fast as possible. */
  paced: boolean;
  /** First outbox commit to last consumer commit. */
  seconds: number;
  /** How long the producers took to commit everything. */
  producedIn: number;
  perSecond: number;
  commitToHandled: Summary;
  storedToHandled: Summary;
}

export interface ReportContext {
  settings: {
    events: number;
    producers: number;
    rate: number;
    latencyEvents: number;
    concurrency: number;
  };
  nats: string;
  postgres: string;
  /** 1-minute load average before and after the run. */
  load: [number, number];
}

/** Whoever finished last set the pace: a consumer well behind the producers is the bottleneck. */
function limitedBy(p: Phase): string {
  if (p.paced) return p.seconds > p.producedIn * 1.2 ? 'consumer (fell behind)' : 'the rate';
  return p.seconds > p.producedIn * 1.2 ? 'consumer' : 'producers';
}

function cells(p: Phase): string[] {
  const c = p.commitToHandled;
  const s = p.storedToHandled;
  return [
    p.name,
    String(p.events),
    `${p.producedIn.toFixed(2)} s`,
    `${p.seconds.toFixed(2)} s`,
    `**${Math.round(p.perSecond)}**`,
    ms(c.p50),
    ms(c.p99),
    ms(c.max),
    ms(s.p50),
    ms(s.p99),
    limitedBy(p),
  ];
}

const header = [
  'phase',
  'events',
  'producers committed in',
  'commit→last handled',
  'events/s',
  'commit→handled p50',
  'p99',
  'max',
  'stored→handled p50',
  'p99',
  'limited by',
];

/** A Markdown table with padded columns, as the repository's formatter (biome) writes them. */
function markdownTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

export function renderReport(phases: Phase[], context: ReportContext): string {
  const { settings } = context;
  const command =
    'npx tsx --conditions=@gittix/source bench/events/run.ts' +
    ` --events ${settings.events} --producers ${settings.producers} --rate ${settings.rate}` +
    ` --latency-events ${settings.latencyEvents} --concurrency ${settings.concurrency}`;
  return `# Event backbone benchmark

What one event costs between two services, through the real pieces: the tickets
service's \`createTicket\` (ticket row + outbox row in one transaction), the
\`OutboxRelay\` (LISTEN/NOTIFY wake-up, batches of 200, one relay), NATS
JetStream, and \`EventConsumers\` whose \`handleOnce\` handler records the event
id and upserts a versioned replica row in a second database, then acks.

${markdownTable([header, ...phases.map(cells)])}

- **events/s** = events ÷ (last consumer commit − first outbox commit).
- **commit→handled**: producer's commit to the consumer's commit (relay wake-up,
  publish, JetStream, delivery, handler transaction), per event.
- **stored→handled**: JetStream's storage timestamp to the consumer's commit:
  the consuming half alone.
- **limited by**: \`consumer\` when the last event was handled well after the
  producers' last commit (a backlog built up), \`producers\` when it kept pace.
- **burst**: ${settings.producers} concurrent producers commit ${settings.events} tickets as fast
  as Postgres takes them; the consumer handles 1 (the services' default) or
  ${settings.concurrency} messages at a time. Latencies there are mostly queueing behind
  the backlog, so read them as "how long a backlog takes to clear".
- **steady**: ${settings.latencyEvents} tickets at ${settings.rate}/s, well under capacity: the
  latency one event sees on a quiet system.

Reading it: with one message in flight (the services' default) the consumer,
one transaction per event, falls behind a burst and the backlog sets the
latency. With several in flight it keeps pace with the producers and latency
stays in milliseconds. So \`concurrency\` is the first knob to turn for a
consumer whose outcome does not depend on arrival order within its subject
(handleOnce plus a version check or a row lock, as the tickets consumers have).

Machine: ${availableParallelism()} CPUs (\`nproc\`), ${cpus()[0]?.model ?? 'unknown CPU'},
${Math.round(totalmem() / 1024 ** 3)} GiB RAM; Node ${process.version}; PostgreSQL ${context.postgres};
nats-server ${context.nats}. Postgres, NATS and the benchmark share the machine;
1-minute load average ${context.load[0].toFixed(1)} before and ${context.load[1].toFixed(1)} after
(other work was running, so treat these as a floor). Run on ${new Date().toISOString().slice(0, 10)}.

Command (from the repository root, with Postgres and NATS on their local ports):

\`\`\`sh
${command}
\`\`\`

It creates two databases and a stream pair named \`gx_bench_<random>…\` and drops
them when it ends (Ctrl-C included). Percentiles are nearest-rank over every
event, no sampling.
`;
}
