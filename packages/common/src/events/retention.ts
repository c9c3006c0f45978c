import { type Kysely, type Migration, sql } from 'kysely';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { type BackgroundTask, periodicTask } from '../service/periodic-task.js';
import { DUPLICATE_WINDOW_MS } from './bus.js';

const HOUR_MS = 60 * 60 * 1000;

/** How often the event tables are pruned. */
export const PRUNE_INTERVAL_MS = 15 * 60 * 1000;

export interface PruneOptions {
  /** Sent outbox rows and inbox rows older than this go. */
  retentionMs: number;
  /** Rows deleted per statement, so no prune holds locks for long. */
  batchSize?: number;
}

export interface Pruned {
  outbox: number;
  inbox: number;
}

/**
 * Deletes sent outbox rows and inbox rows older than the retention, oldest first,
 * in batches. Unsent outbox rows are never touched, whatever their age.
 */
export async function pruneEventTables(
  db: Kysely<unknown>,
  { retentionMs, batchSize = 5_000 }: PruneOptions,
): Promise<Pruned> {
  const cutoff = new Date(Date.now() - retentionMs);
  const pruned: Pruned = { outbox: 0, inbox: 0 };
  for (;;) {
    const result = await sql`
      DELETE FROM outbox WHERE seq IN (
        SELECT seq FROM outbox
        WHERE sent_at IS NOT NULL AND sent_at < ${cutoff}
        ORDER BY seq LIMIT ${batchSize})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    pruned.outbox += deleted;
    if (deleted < batchSize) break;
  }
  for (;;) {
    const result = await sql`
      DELETE FROM inbox WHERE (consumer, event_id) IN (
        SELECT consumer, event_id FROM inbox
        WHERE handled_at < ${cutoff}
        ORDER BY handled_at LIMIT ${batchSize})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    pruned.inbox += deleted;
    if (deleted < batchSize) break;
  }
  return pruned;
}

export interface RetentionSettings {
  EVENT_TABLES_RETENTION_HOURS: number;
  NATS_STREAM_MAX_AGE_HOURS: number;
}

/**
 * The event tables' retention, checked against the stream: an inbox row must
 * outlive every copy of its event the stream may still deliver (its max age), and
 * a sent outbox row the de-duplication window of a republish.
 */
export function eventTablesRetentionMs(settings: RetentionSettings): number {
  const retentionMs = settings.EVENT_TABLES_RETENTION_HOURS * HOUR_MS;
  const streamMaxAgeMs = settings.NATS_STREAM_MAX_AGE_HOURS * HOUR_MS;
  if (retentionMs <= streamMaxAgeMs || retentionMs <= DUPLICATE_WINDOW_MS) {
    throw new ConfigError(
      `Invalid configuration: EVENT_TABLES_RETENTION_HOURS: Must be longer than NATS_STREAM_MAX_AGE_HOURS (${settings.NATS_STREAM_MAX_AGE_HOURS}), or a redelivered event could be handled twice`,
    );
  }
  return retentionMs;
}

/** The pruning as a background task of every service with a database and events. */
export function eventTablesPruner(options: {
  db: Kysely<unknown>;
  retentionMs: number;
  logger: Logger;
  intervalMs?: number;
}): BackgroundTask {
  const { db, retentionMs, logger } = options;
  return periodicTask({
    name: 'event tables pruning',
    intervalMs: options.intervalMs ?? PRUNE_INTERVAL_MS,
    logger,
    run: async () => {
      const pruned = await pruneEventTables(db, { retentionMs });
      if (pruned.outbox + pruned.inbox > 0) logger.info({ pruned }, 'event tables pruned');
      return false;
    },
  });
}

/**
 * The index the inbox pruning reads (handled_at, oldest first). A service adds it
 * to its migrations once; without it the pruning still works, by scanning.
 */
export const inboxHandledAtIndexMigration: Migration = {
  async up(db) {
    await sql`CREATE INDEX IF NOT EXISTS inbox_handled_at ON inbox (handled_at)`.execute(db);
  },
  async down(db) {
    await sql`DROP INDEX IF EXISTS inbox_handled_at`.execute(db);
  },
};
