import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db.js';
import type { EventBus } from './events/bus.js';
import { EventConsumers, type Subscription } from './events/consumer.js';
import { OutboxRelay } from './events/outbox.js';
import { createSessionVerifier, type SessionVerifier } from './http/auth.js';
import { runService } from './lifecycle.js';
import { createLogger } from './logger.js';
import { type NatsSettings, openEventBus, stopInOrder } from './runtime.js';

/** Loads a service's configuration, or stops the process with one line naming what is wrong. */
export function loadServiceConfig<S extends z.ZodType>(name: string, schema: S): z.output<S> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  }
}

/** Connections of the event handlers' pool (the request pool keeps createDb's 10). */
const EVENTS_POOL_SIZE = 5;

/** What every database-backed, event-driven service reads from its environment. */
export interface EventServiceConfig extends NatsSettings {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  LOG_PRETTY: boolean;
  SHUTDOWN_TIMEOUT_MS: number;
  DATABASE_URL: string;
  JWT_PUBLIC_KEY?: string | undefined;
  AUTH_JWKS_URL: string;
}

export interface EventServiceResources<Config, DB> {
  config: Config;
  /** The pool request handlers use. */
  db: Kysely<DB>;
  /**
   * A pool of its own for event handlers: sharing one, a burst of requests queued
   * for connections delays every event behind it (and an event burst, requests).
   */
  eventsDb: Kysely<DB>;
  bus: EventBus;
  logger: Logger;
  verifySession: SessionVerifier;
}

export interface EventServiceSpec<S extends z.ZodType<EventServiceConfig>, DB> {
  name: string;
  configSchema: S;
  /** Opens (creates, migrates) the service's database: `openDatabase<DB>(url, migrations)`. */
  openDatabase: (url: string) => Promise<Kysely<DB>>;
  /** Builds the HTTP app and the event subscriptions from the opened resources. */
  build: (resources: EventServiceResources<z.output<S>, DB>) => Promise<{
    app: FastifyInstance;
    subscriptions: Subscription[];
    /** Events handled at once per subject (default 1). */
    consumerConcurrency?: number;
  }>;
}

/**
 * The life of a service that owns a database and speaks events (tickets, orders,
 * payments): config, database, bus, outbox relay, app, consumers, listen; on
 * SIGTERM the reverse: stop consuming, finish requests, flush the outbox, close.
 */
export async function runEventService<S extends z.ZodType<EventServiceConfig>, DB>(
  spec: EventServiceSpec<S, DB>,
): Promise<void> {
  const { name } = spec;
  const config = loadServiceConfig(name, spec.configSchema);
  const logger = createLogger({ name, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  await runService({
    name,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    start: async () => {
      const db = await spec.openDatabase(config.DATABASE_URL);
      const eventsDb = createDb<DB>(config.DATABASE_URL, {
        max: EVENTS_POOL_SIZE,
        applicationName: `${name}-events`,
      });
      const bus = await openEventBus(config, name, logger);
      const relay = new OutboxRelay({ db, databaseUrl: config.DATABASE_URL, bus, logger });
      relay.start();
      const verifySession = createSessionVerifier({
        publicKeyPem: config.JWT_PUBLIC_KEY,
        jwksUrl: config.AUTH_JWKS_URL,
      });
      const { app, subscriptions, consumerConcurrency } = await spec.build({
        config,
        db,
        eventsDb,
        bus,
        logger,
        verifySession,
      });
      const consumers = new EventConsumers({
        bus,
        service: name,
        subscriptions,
        logger,
        concurrency: consumerConcurrency ?? 1,
      });
      await consumers.start();
      await app.listen({ port: config.PORT, host: config.HOST });
      return stopInOrder(logger, [
        ['consumers', () => consumers.stop()],
        ['http', () => app.close()],
        ['outbox relay', () => relay.stop()],
        ['event bus', () => bus.close()],
        ['database', () => db.destroy()],
        ['events database', () => eventsDb.destroy()],
      ]);
    },
  });
}
