import { Gauge, type Registry } from 'prom-client';
import { scrapeReading } from '../metrics/scrape-reading.js';
import type { EventBus } from './bus.js';

/** The dead letters of one durable consumer still in the dead-letter stream. */
export interface DeadLettersWaiting {
  consumer: string;
  /** Records not replayed or discarded yet. */
  waiting: number;
}

/**
 * What waits in the dead-letter stream for each of `durables`: one stream info with
 * its per-subject counts (a consumer's records are on `<prefix>.deadletter.<consumer>`).
 * Nothing more is read: a service's NATS user may ask for the stream's info but not
 * read its records (other consumers' payloads), so their ages are left to the events
 * CLI. `events dead-letters replay` and `discard` delete the records they act on, so a
 * consumer goes back to 0 as soon as someone has dealt with its letters.
 */
export async function deadLettersWaiting(
  bus: EventBus,
  durables: string[],
): Promise<DeadLettersWaiting[]> {
  const info = await bus.jsm.streams.info(bus.deadLetterStream, {
    subjects_filter: bus.deadLetterSubjectOf('*'),
  });
  const counts = info.state.subjects ?? {};
  return durables.map((consumer) => ({
    consumer,
    waiting: counts[bus.deadLetterSubjectOf(consumer)] ?? 0,
  }));
}

export interface DeadLetterMetricsOptions {
  /** A reading younger than this answers the next scrapes (Prometheus run as a pair). */
  freshMs?: number;
  /** How long a scrape waits for JetStream before it answers with the last reading. */
  timeoutMs?: number;
}

/**
 * Dead letters waiting, in a service's /metrics, read from the dead-letter stream at
 * scrape time: `gittix_dead_letters_waiting` per durable consumer. Unlike the
 * `gittix_dead_letters_total` counter, it stays up until the letter is replayed or
 * discarded, however long that takes. One reading at a time, reused for `freshMs`; a
 * scrape never waits more than `timeoutMs` for it: with JetStream away it answers with
 * the last values read (none before the first).
 */
export function registerDeadLetterMetrics(
  registry: Registry,
  bus: EventBus,
  durables: string[],
  { freshMs = 5_000, timeoutMs = 2_000 }: DeadLetterMetricsOptions = {},
): void {
  // JetStream unreachable or the stream missing: the last values.
  const read = scrapeReading(() => deadLettersWaiting(bus, durables), {
    reuseMs: freshMs,
    timeoutMs,
  });
  new Gauge({
    name: 'gittix_dead_letters_waiting',
    help: 'Events a durable consumer gave up on that wait in the dead-letter stream to be replayed or discarded',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      const letters = await read();
      for (const { consumer, waiting } of letters ?? []) this.labels(consumer).set(waiting);
    },
  });
}
