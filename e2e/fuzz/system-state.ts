import { storedMessages } from '@gittix/common/testing';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { services } from '../../scripts/system/services.js';
import type { RunningSystem } from '../harness/system.js';

/**
 * What counts as a service's state: every table of its database except these.
 * Migration bookkeeping never changes after start-up; sign-in failure counters
 * are the rate limiter's memory, which a rejected sign-in is meant to change.
 */
// The sandbox's tables are the card processor's side (what Stripe would keep), not GitTix's.
const NOT_STATE = new Set([
  'kysely_migration',
  'kysely_migration_lock',
  'auth.sign_in_failures',
  'payments.sandbox_results',
  'payments.sandbox_holds',
]);

/** `<service>.<table>` → `<rows>:<md5 of the rows in a canonical order>`, plus the streams. */
export interface Snapshot {
  tables: Record<string, string>;
  /** Messages in the main event stream. */
  streamMessages: number;
  /** The stream's last sequence: what arrived after a snapshot is `messagesAfter` it. */
  lastSeq: number;
  /** The expiration service's jobs and cancellation marks in Redis (when probed). */
  expirations?: string;
}

/** The names of what differs between two snapshots (empty when nothing does). */
export function changes(before: Snapshot, after: Snapshot, allowed: string[] = []): string[] {
  const changed = Object.keys({ ...before.tables, ...after.tables }).filter(
    (name) => before.tables[name] !== after.tables[name] && !allowed.includes(name),
  );
  if (before.streamMessages !== after.streamMessages) changed.push('stream messages');
  if (before.expirations !== after.expirations) changed.push('expiration jobs (Redis)');
  return changed.sort();
}

interface ServiceDb {
  service: string;
  client: pg.Client;
  /** One query hashing every state table of the database. */
  hashQuery: string;
  hasOutbox: boolean;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Reads a running system's state from the outside: its databases, its stream and
 * consumers, and the expiration queue in Redis. Used to prove that rejected
 * inputs change nothing, and to wait until events stop flowing.
 */
export class SystemState {
  private constructor(
    private readonly system: RunningSystem,
    private readonly dbs: ServiceDb[],
    private readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly redis: Redis,
  ) {}

  static async open(system: RunningSystem): Promise<SystemState> {
    const { settings } = system;
    const dbs: ServiceDb[] = [];
    for (const spec of services.filter((s) => s.database)) {
      const client = new pg.Client({
        connectionString: `${settings.postgresUrl}/${settings.databaseName(spec.database!)}`,
      });
      await client.connect();
      const { rows } = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
      );
      const tables = rows
        .map((r) => r.name)
        .filter((t) => !NOT_STATE.has(t) && !NOT_STATE.has(`${spec.name}.${t}`));
      const hashQuery = tables
        .map(
          (t) => `SELECT '${t}' AS name, count(*)::text || ':' ||
            md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS hash
            FROM ${quote(t)} x`,
        )
        .join(' UNION ALL ');
      dbs.push({ service: spec.name, client, hashQuery, hasOutbox: tables.includes('outbox') });
    }
    const nc = await connect({ servers: settings.natsUrl });
    const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
    return new SystemState(system, dbs, nc, await jetstreamManager(nc), redis);
  }

  async snapshot(options: { expirations?: boolean } = {}): Promise<Snapshot> {
    const tables: Record<string, string> = {};
    await Promise.all(
      this.dbs.map(async (db) => {
        const { rows } = await db.client.query<{ name: string; hash: string }>(db.hashQuery);
        for (const row of rows) tables[`${db.service}.${row.name}`] = row.hash;
      }),
    );
    const info = await this.jsm.streams.info(this.system.settings.stream);
    const snapshot: Snapshot = {
      tables,
      streamMessages: info.state.messages,
      lastSeq: info.state.last_seq,
    };
    if (options.expirations) snapshot.expirations = await this.expirationKeys();
    return snapshot;
  }

  /**
   * The expiration service's lasting state: its job ids and their data, and the
   * cancellation marks. BullMQ's event log, counters and lock keys are left out:
   * they move on every (even duplicate) add and on the worker's own schedule.
   */
  private async expirationKeys(): Promise<string> {
    const prefix = this.system.settings.queuePrefix;
    const keys = await this.scan(`${prefix}:order-expiration*`);
    const lasting = keys.filter((k) => /:[0-9a-f-]{36}$/.test(k)).sort();
    const jobs = await Promise.all(
      lasting.map(async (k) =>
        k.includes('-cancelled:') ? k : `${k}=${await this.redis.hget(k, 'data')}`,
      ),
    );
    return jobs.join('\n');
  }

  private async scan(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  }

  /**
   * The stream's messages after sequence `seq` (at most `limit`), each as
   * `<seq> <subject> <Nats-Msg-Id> <envelope id>`: what a failing property names when
   * the stream holds more or fewer messages than it published.
   */
  async messagesAfter(seq: number, limit = 20): Promise<string[]> {
    const found: string[] = [];
    for await (const message of storedMessages(this.jsm, this.system.settings.stream, seq + 1)) {
      const envelopeId = /"id":"([^"]*)"/.exec(message.string())?.[1] ?? '?';
      found.push(
        `${message.seq} ${message.subject} ${message.header?.get('Nats-Msg-Id') ?? '-'} ${envelopeId}`,
      );
      if (found.length === limit) break;
    }
    return found;
  }

  /** How many consumers (across every database's inbox) have handled this event. */
  async inboxRows(eventId: string): Promise<number> {
    const counts = await Promise.all(
      this.dbs
        .filter((db) => db.hasOutbox)
        .map((db) =>
          db.client
            .query<{ n: number }>('SELECT count(*)::int AS n FROM inbox WHERE event_id = $1', [
              eventId,
            ])
            .then((r) => r.rows[0]!.n),
        ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Whether the expiration service holds a job for this order, or its cancellation mark. */
  async expirationKnows(orderId: string, what: 'job' | 'cancelled'): Promise<boolean> {
    const prefix = this.system.settings.queuePrefix;
    const key =
      what === 'job'
        ? `${prefix}:order-expiration:${orderId}`
        : `${prefix}:order-expiration-cancelled:${orderId}`;
    return (await this.redis.exists(key)) === 1;
  }

  /** Why the system is not quiet yet, or undefined once it is. */
  private async busy(): Promise<string | undefined> {
    const { stream, queuePrefix } = this.system.settings;
    for await (const consumer of this.jsm.consumers.list(stream)) {
      if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) {
        return `consumer ${consumer.name}: ${consumer.num_pending} pending, ${consumer.num_ack_pending} unacked`;
      }
    }
    for (const db of this.dbs.filter((d) => d.hasOutbox)) {
      const { rows } = await db.client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL',
      );
      if (rows[0]!.n > 0) return `${db.service}: ${rows[0]!.n} outbox rows unsent`;
    }
    const notifications = this.dbs.find((d) => d.service === 'notifications');
    if (notifications) {
      // The sender changes an email's row until it is sent (or refused for good).
      const { rows } = await notifications.client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM emails
         WHERE sent_at IS NULL AND failed_at IS NULL AND to_address IS NOT NULL`,
      );
      if (rows[0]!.n > 0) return `notifications: ${rows[0]!.n} emails unsent`;
    }
    const payments = this.dbs.find((d) => d.service === 'payments');
    if (payments) {
      // The settler captures, voids and reconciles in the background, after the events.
      const { rows } = await payments.client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM payments WHERE next_action IS NOT NULL OR status = 'pending'`,
      );
      if (rows[0]!.n > 0) return `payments: ${rows[0]!.n} payments settling`;
    }
    const queue = `${queuePrefix}:order-expiration`;
    const dueBy = (Date.now() + 2_000) * 0x1000;
    const [waiting, active, due, retrying] = await Promise.all([
      this.redis.llen(`${queue}:wait`),
      this.redis.llen(`${queue}:active`),
      this.redis.zcount(`${queue}:delayed`, '-inf', dueBy),
      this.retryingJobs(queue, dueBy),
    ]);
    if (waiting + active + due > 0) return `expiration: ${waiting + active + due} jobs due`;
    if (retrying > 0) return `expiration: ${retrying} jobs waiting to be tried again`;
    return undefined;
  }

  /**
   * Jobs due after `dueBy` that failed before: a publish that failed is tried again after
   * a back-off of up to 30 s, past the 2 s that `busy` otherwise looks ahead (the
   * fixtures' holds are due in a day). BullMQ counts a job's failed attempts in `atm`.
   */
  private async retryingJobs(queue: string, dueBy: number): Promise<number> {
    const later = await this.redis.zrangebyscore(`${queue}:delayed`, `(${dueBy}`, '+inf');
    if (later.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const id of later) pipeline.hget(`${queue}:${id}`, 'atm');
    const attempts = (await pipeline.exec()) ?? [];
    return attempts.filter(([, made]) => Number(made ?? 0) > 0).length;
  }

  /**
   * Waits until events stop flowing: every consumer caught up with nothing
   * unacknowledged (retries included), every outbox sent, every deliverable email
   * sent, no payment action pending, no expiration job due or to be tried again, found
   * so by two looks in a row with no event reaching the stream between them.
   *
   * One quiet look is not enough: `busy` reads its places one after another, and work
   * that moves during the look into a place already read escapes it (an event a relay
   * publishes after the consumers were read, an outbox row the settler writes as it
   * clears `payments.next_action`). Such work is where the next look reads it, or has
   * moved the stream's last sequence, read after each look. With 30 ms between two of
   * the look's queries, one quiet look (the sequence read before it) ended the wait
   * before notifications had handled a purchase's last event in 6 of 15 purchases
   * (docs/fuzzing.md, "What counts as state").
   */
  async settle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The stream's last sequence after the last look that found nothing to do; -1 after a busy one.
    let quietAt = -1;
    for (;;) {
      const reason = await this.busy();
      const { last_seq } = (await this.jsm.streams.info(this.system.settings.stream)).state;
      if (!reason && last_seq === quietAt) return;
      quietAt = reason ? -1 : last_seq;
      if (Date.now() > deadline)
        throw new Error(`system still busy after ${timeoutMs} ms: ${reason ?? 'events arriving'}`);
      await new Promise((resolve) => setTimeout(resolve, reason ? 50 : 20));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.dbs.map((db) => db.client.end().catch(() => {})));
    await this.nc.close().catch(() => {});
    this.redis.disconnect();
  }
}
