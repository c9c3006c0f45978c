import { randomUUID } from 'node:crypto';
import { type Kysely, type QueryExecutorProvider, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { contextFromCarrier, traceCarrier } from '../tracing/tracing.js';
import type { EventBus } from './bus.js';
import { createEnvelope, type EventEnvelope, type EventInput, type Subject } from './contracts.js';
import { OUTBOX_CHANNEL } from './tables.js';

/**
 * Records an event in the same transaction as the state change it describes.
 * Call it with the transaction (`trx`), never with the pool. The NOTIFY is
 * delivered only if the transaction commits, which wakes the relay. One round
 * trip: the NOTIFY rides on the INSERT.
 */
export async function enqueueEvent<S extends Subject>(
  trx: QueryExecutorProvider,
  subject: S,
  data: EventInput<S>,
): Promise<EventEnvelope<S>> {
  const envelope = createEnvelope(subject, data, randomUUID());
  await enqueueEnvelopes(trx, [envelope]);
  return envelope;
}

/**
 * Records envelopes made with createEnvelope (each with its own causation, see
 * causedBy) in one INSERT, in their order, with one NOTIFY: a batch handler's events.
 */
export async function enqueueEnvelopes(
  trx: QueryExecutorProvider,
  envelopes: EventEnvelope[],
): Promise<void> {
  if (envelopes.length === 0) return;
  // The envelopes travel as one JSON array, so the statement has the same three
  // parameters for one row or a hundred: a VALUES row of four per envelope cost the
  // query builder ~0.1 ms per event in a burst (bench/bottlenecks.md §20). Rows keep
  // the envelopes' order (the relay publishes by seq). The NOTIFY rides on the INSERT
  // (one round trip); one is enough to wake the relay.
  await sql`
    WITH queued AS (
      INSERT INTO outbox (id, subject, envelope, trace_context)
      SELECT (envelope->>'id')::uuid, envelope->>'type', envelope, ${JSON.stringify(traceCarrier())}::jsonb
      FROM jsonb_array_elements(${JSON.stringify(envelopes)}::jsonb) WITH ORDINALITY AS queue(envelope, n)
      ORDER BY n
      RETURNING 1
    )
    SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM (SELECT count(*) FROM queued) AS done`.execute(
    trx,
  );
}

/**
 * One outbox row's values, in the order of `outbox (id, subject, envelope,
 * trace_context)`, for a prepared statement that writes its state change and its
 * event together (a data-modifying CTE: one round trip, no query builder). Such a
 * statement must also `pg_notify(OUTBOX_CHANNEL, '')` when it writes the row, as
 * enqueueEnvelopes does, or the relay only finds the row at its next poll.
 */
export function outboxRowValues(
  envelope: EventEnvelope,
): [id: string, subject: string, envelope: string, traceContext: string] {
  return [envelope.id, envelope.type, JSON.stringify(envelope), JSON.stringify(traceCarrier())];
}

/**
 * The CTE `queued` of such a statement: one outbox row from parameters `$first` to
 * `$first + 3` (outboxRowValues, in order) for each row the CTE `source` returns.
 */
export function queuedOutboxRowSql(source: string, first: number): string {
  return `queued AS (
      INSERT INTO outbox (id, subject, envelope, trace_context)
      SELECT $${first}::uuid, $${first + 1}::text, $${first + 2}::jsonb, $${first + 3}::jsonb FROM ${source}
      RETURNING 1
    )`;
}

/** The select-list item of such a statement that wakes the relay when `queued` wrote a row. */
export const NOTIFY_WHEN_QUEUED_SQL = `(SELECT pg_notify('${OUTBOX_CHANNEL}', '') IS NULL FROM queued) AS notified`;

export interface OutboxRelayOptions<DB = unknown> {
  db: Kysely<DB>;
  /** Used for a dedicated LISTEN connection. */
  databaseUrl: string;
  bus: EventBus;
  logger: Logger;
  batchSize?: number;
  /** Safety-net poll when no notification arrives (e.g. the LISTEN link is down). */
  pollIntervalMs?: number;
  maxBackoffMs?: number;
}

interface OutboxRow {
  seq: number;
  id: string;
  envelope: EventEnvelope;
  /** The W3C headers of the request or event that wrote the row (null before they were kept). */
  trace_context: Record<string, string> | null;
}

/** Any constant shared by every relay of one database: only one publishes at a time. */
export const RELAY_LOCK_KEY = 7_301_977;

/**
 * Publishes outbox rows to JetStream in commit order, with `Nats-Msg-Id` = event
 * id, then marks them sent. A crash after publishing and before marking means a
 * republish that the broker's duplicate window absorbs. Several replicas may
 * run one relay each: a transaction-scoped advisory lock lets one publish at a
 * time, so order holds.
 */
export class OutboxRelay<DB = unknown> {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pendingWake = false;
  private listener: pg.Client | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxRelayOptions<DB>) {
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.listen();
    this.loop = this.run();
  }

  /** Stops after the batch in flight; rows left are published on the next start. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.listenerRetry);
    this.notify();
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
  }

  /** Wakes the relay now (a commit happened). */
  notify(): void {
    this.pendingWake = true;
    this.wake?.();
  }

  /**
   * Publishes everything committed before the call; for shutdown, tests and tools.
   * Returns how many this relay sent. Where another relay (this one's own loop, or
   * another replica's) holds the lock, it waits for that batch to commit rather
   * than returning with rows still in flight: a caller may then rely on every row
   * committed before it being in the stream.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.publishBatch({ waitForLock: true });
      total += sent;
      if (sent < this.batchSize) return total;
    }
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        this.pendingWake = false;
        const sent = await this.publishBatch();
        backoff = 100;
        if (sent === this.batchSize) continue;
        await this.sleep(this.pollIntervalMs);
      } catch (error) {
        this.options.logger.warn(
          { err: error, retryInMs: backoff },
          'outbox relay failed, retrying',
        );
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.pendingWake || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async publishBatch({ waitForLock = false } = {}): Promise<number> {
    const { db, bus } = this.options;
    return db.transaction().execute(async (trx) => {
      // Waiting takes the lock in a statement of its own, so that the read below
      // sees what the batch it waited for committed (its rows as sent).
      if (waitForLock) await sql`SELECT pg_advisory_xact_lock(${RELAY_LOCK_KEY})`.execute(trx);
      // The lock and the read in one round trip: the lock, a scalar subquery, is a
      // one-time filter (evaluated once, before the scan; the scan keeps the
      // index's order); a relay that does not get the lock reads nothing.
      const { rows } = await sql<OutboxRow>`
        SELECT seq, id, envelope, trace_context FROM outbox
        WHERE (SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY})) AND sent_at IS NULL
        ORDER BY seq LIMIT ${this.batchSize}`.execute(trx);
      if (rows.length === 0) return 0;

      // Published in order on one connection; stop at the first failure so that
      // nothing after it is marked sent ahead of it.
      const results = await Promise.allSettled(
        rows.map((row) =>
          // The publish span is a child of the request that wrote the row.
          bus.publish(row.envelope, undefined, contextFromCarrier(row.trace_context)),
        ),
      );
      const firstFailure = results.findIndex((r) => r.status === 'rejected');
      const published = firstFailure === -1 ? rows : rows.slice(0, firstFailure);
      if (published.length > 0) {
        const seqs = published.map((row) => row.seq);
        await sql`UPDATE outbox SET sent_at = now() WHERE seq = ANY(${seqs}::bigint[])`.execute(
          trx,
        );
      }
      if (firstFailure !== -1) {
        const failure = results[firstFailure] as PromiseRejectedResult;
        // Nothing went out: fail so that run() backs off. Otherwise commit the
        // published prefix and come straight back for the rest.
        if (published.length === 0) throw failure.reason;
        this.options.logger.warn({ err: failure.reason }, 'outbox publish stopped part-way');
      }
      return published.length;
    });
  }

  private async listen(): Promise<void> {
    if (!this.running) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    client.on('notification', () => this.notify());
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'outbox LISTEN connection lost, polling meanwhile');
      this.listener = undefined;
      client.end().catch(() => {});
      this.scheduleListen();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (!this.running) {
        await client.end();
        return;
      }
      this.listener = client;
      this.notify(); // rows committed while we were not listening
    } catch (error) {
      this.options.logger.debug({ err: error }, 'outbox LISTEN failed, will retry');
      client.end().catch(() => {});
      this.scheduleListen();
    }
  }

  private scheduleListen(): void {
    if (!this.running) return;
    clearTimeout(this.listenerRetry);
    this.listenerRetry = setTimeout(() => void this.listen(), this.maxBackoffMs);
  }
}
