/**
 * Event backbone benchmark: events/second from outbox commit to consumer commit,
 * and per-event latency percentiles, through the real pieces (see pipeline.ts).
 * Writes bench/events/REPORT.md.
 *
 *   npx tsx --conditions=@gittix/source bench/events/run.ts
 *     [--events 5000] [--producers 8] [--rate 100] [--latency-events 1000] [--concurrency 8]
 *
 * Uses the machine's Postgres and NATS (TEST_POSTGRES_URL / TEST_NATS_URL) in
 * databases and streams of its own, dropped when it ends (also on Ctrl-C).
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createPipeline, now, type Pipeline } from './pipeline.js';
import { type Phase, renderReport } from './report.js';
import { summarize } from './stats.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    producers: { type: 'string', default: '8' },
    rate: { type: 'string', default: '100' },
    'latency-events': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    report: { type: 'string', default: new URL('./REPORT.md', import.meta.url).pathname },
  },
});
const settings = {
  events: Number(args.events),
  producers: Number(args.producers),
  rate: Number(args.rate),
  latencyEvents: Number(args['latency-events']),
  concurrency: Number(args.concurrency),
};
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const interrupted = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('interrupted: cleaning up\n');
  interrupted.abort(new Error('interrupted'));
});

type Producer = (
  pipeline: Pipeline,
  count: number,
  committed: (ticketId: string) => void,
) => Promise<unknown>;

/** Producers commit `count` tickets as fast as Postgres takes them. */
const burst: Producer = (pipeline, count, committed) => {
  let next = 0;
  return Promise.all(
    Array.from({ length: settings.producers }, async () => {
      while (next < count) {
        interrupted.signal.throwIfAborted();
        committed(await pipeline.listTicket(next++));
      }
    }),
  );
};

/** One ticket every 1/rate seconds, each in its own transaction, not waiting for the last. */
const steady: Producer = async (pipeline, count, committed) => {
  const start = now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    interrupted.signal.throwIfAborted();
    const wait = start + (i * 1000) / settings.rate - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(pipeline.listTicket(i).then(committed));
  }
  await Promise.all(inFlight);
};

async function runPhase(
  pipeline: Pipeline,
  phase: { name: string; label: string; events: number; concurrency: number; paced: boolean },
  produce: Producer,
): Promise<Phase> {
  const committedAt = new Map<string, number>();
  const handledAt = new Map<string, number>();
  await pipeline.startConsumer(phase.label, phase.concurrency, (id) => handledAt.set(id, now()));
  const started = now();
  await produce(pipeline, phase.events, (id) => committedAt.set(id, now()));
  const producedIn = (now() - started) / 1000;
  const deadline = Date.now() + 300_000;
  while (handledAt.size < phase.events) {
    interrupted.signal.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`${phase.name}: ${handledAt.size} handled`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const seconds = (Math.max(...handledAt.values()) - Math.min(...committedAt.values())) / 1000;
  const storedAt = await pipeline.storedTimes();
  const ids = [...committedAt.keys()];
  process.stderr.write(`${phase.name}: ${phase.events} events, ${seconds.toFixed(2)} s\n`);
  return {
    ...phase,
    seconds,
    producedIn,
    perSecond: phase.events / seconds,
    commitToHandled: summarize(ids.map((id) => handledAt.get(id)! - committedAt.get(id)!)),
    storedToHandled: summarize(
      ids.filter((id) => storedAt.has(id)).map((id) => handledAt.get(id)! - storedAt.get(id)!),
    ),
  };
}

const loadBefore = loadavg()[0]!;
const pipeline = await createPipeline({
  postgresUrl: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  natsUrl: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  logger,
  producers: settings.producers,
});
try {
  const { events, latencyEvents, concurrency } = settings;
  const phases = [
    await runPhase(
      pipeline,
      { name: 'burst, 1 in flight', label: 'burst1', events, concurrency: 1, paced: false },
      burst,
    ),
    await runPhase(
      pipeline,
      {
        name: `burst, ${concurrency} in flight`,
        label: 'burstn',
        events,
        concurrency,
        paced: false,
      },
      burst,
    ),
    await runPhase(
      pipeline,
      {
        name: `steady ${settings.rate}/s, 1 in flight`,
        label: 'steady',
        events: latencyEvents,
        concurrency: 1,
        paced: true,
      },
      steady,
    ),
  ];
  const report = renderReport(phases, {
    settings,
    nats: pipeline.bus.nc.info?.version ?? 'unknown',
    postgres: await pipeline.postgresVersion(),
    load: [loadBefore, loadavg()[0]!],
  });
  await writeFile(args.report, report);
  process.stderr.write(`wrote ${args.report}\n`);
} catch (error) {
  if (!interrupted.signal.aborted) throw error;
  process.exitCode = 130;
} finally {
  await pipeline.close();
}
