import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createDb, type DbOptions, ensureDatabase, type Migrations, migrate } from './db.js';
import { EventBus } from './events/bus.js';

/** Creates the database if missing, connects and migrates it: a service's first step. */
export async function openDatabase<DB>(
  url: string,
  migrations: Migrations,
  options: DbOptions = {},
): Promise<Kysely<DB>> {
  await ensureDatabase(url);
  const db = createDb<DB>(url, options);
  await migrate(db, migrations);
  return db;
}

export interface NatsSettings {
  NATS_URL: string;
  NATS_STREAM: string;
  NATS_SUBJECT_PREFIX: string;
  NATS_STREAM_REPLICAS?: number;
  NATS_STREAM_MAX_BYTES?: number | undefined;
}

/** Connects to NATS with the configured names and makes sure the streams exist. */
export async function openEventBus(
  settings: NatsSettings,
  name: string,
  logger: Logger,
): Promise<EventBus> {
  const bus = await EventBus.connect({
    url: settings.NATS_URL,
    stream: settings.NATS_STREAM,
    subjectPrefix: settings.NATS_SUBJECT_PREFIX,
    name,
    logger,
    replicas: settings.NATS_STREAM_REPLICAS ?? 1,
    ...(settings.NATS_STREAM_MAX_BYTES ? { maxBytes: settings.NATS_STREAM_MAX_BYTES } : {}),
  });
  await bus.ensureStreams();
  return bus;
}

/**
 * The shutdown a service runs on SIGTERM: each step in order (stop consuming,
 * close HTTP after in-flight requests, flush the outbox, close connections),
 * carrying on past a failing step so every connection still gets closed.
 */
export function stopInOrder(
  logger: Logger,
  steps: Array<[name: string, stop: () => Promise<unknown>]>,
): () => Promise<void> {
  return async () => {
    for (const [name, stop] of steps) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, `stopping ${name} failed`);
      }
    }
  };
}
