import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { spanBatchSettingsFrom } from '../config.js';
import { connectDatabase, createDb, pingDb } from '../db.js';
import { type EventBus, type NatsSettings, openEventBus } from '../events/bus.js';
import {
  type ConsumerOptions,
  durableName,
  EventConsumers,
  handleEvent,
} from '../events/consumer.js';
import type { EventEnvelope } from '../events/contracts.js';
import { registerLagMetrics } from '../events/lag.js';
import { OutboxRelay } from '../events/outbox.js';
import { eventTablesPruner, eventTablesRetentionMs } from '../events/retention.js';
import type { HandlerContext, Subscription } from '../events/subscription.js';
import { admissionSettingsFrom } from '../http/admission.js';
import { createSessionVerifier } from '../http/auth.js';
import type { ReadinessChecks } from '../http/health.js';
import { RevokedSessions } from '../http/revoked-sessions.js';
import { applyHttpTimeouts } from '../http/timeouts.js';
import { registerOutboxMetrics } from '../metrics/outbox.js';
import { registerPoolMetrics } from '../metrics/pool.js';
import { closeRedis, connectRedis, type Redis, type SentinelAddress } from '../redis.js';
import { initTracing, shutdownTracing } from '../tracing/tracing.js';
import type {
  AnyServiceDescription,
  BaseServiceConfig,
  BuiltService,
  ConfigOf,
  NeedsOf,
  PartsOf,
  Resources,
  ServiceNeeds,
  StopStep,
} from './description.js';
import type { BackgroundTask } from './periodic-task.js';
import { stopInOrder } from './stop-in-order.js';

/** Connections of the event handlers' pool (the request pool keeps createDb's 10). */
const EVENTS_POOL_SIZE = 5;

/** Every key some need reads; the description's types guarantee the ones its needs read. */
type AnySettings = BaseServiceConfig &
  NatsSettings & {
    EVENT_TABLES_RETENTION_HOURS?: number;
    DATABASE_URL: string;
    /** A session connection for the relay's LISTEN when DATABASE_URL is pooled per transaction. */
    DATABASE_LISTEN_URL?: string | undefined;
    REDIS_URL: string;
    REDIS_SENTINELS?: SentinelAddress[] | undefined;
    REDIS_SENTINEL_NAME?: string | undefined;
    JWT_PUBLIC_KEY?: string | undefined;
    AUTH_JWKS_URL: string;
  };

/** How tests tune the consumers; main.ts keeps the defaults. */
export type ConsumerSettings = Pick<
  ConsumerOptions,
  'maxDeliveries' | 'transientRetryMs' | 'ackWaitMs'
>;

type RelayOf<N> = N extends { database: object; events: object } ? OutboxRelay : undefined;

/** A service opened and built, not yet consuming or listening. */
export type OpenService<D extends AnyServiceDescription> = Resources<ConfigOf<D>, NeedsOf<D>> & {
  name: string;
  app: FastifyInstance;
  /** What it consumes, one durable consumer each. */
  subscriptions: Subscription<unknown>[];
  /** Publishes the outbox; main.ts starts it, tests may drain it instead. */
  relay: RelayOf<NeedsOf<D>>;
  /** Starts pulling every subscription's durable consumer. */
  startConsumers(settings?: ConsumerSettings): Promise<void>;
  /** Background work: the service's own `tasks` and the event tables' pruning. */
  tasks: BackgroundTask[];
  /** Starts every background task (main.ts does, with the relay and the consumers). */
  startTasks(): void;
  /** Handles one event as the consumers would (through the inbox when the service has one). */
  handle(event: EventEnvelope, context: HandlerContext): Promise<void>;
  /**
   * The shutdown, in order: stop consuming, close HTTP after the requests in
   * flight, stop what build started, flush the outbox, close the connections.
   */
  stop(): Promise<void>;
};

export interface OpenServiceOptions<D extends AnyServiceDescription> {
  config: ConfigOf<D>;
  logger: Logger;
  parts?: PartsOf<D>;
}

/** What the needs opened, closed in reverse dependency order. */
interface Opened {
  db?: Kysely<unknown>;
  eventsDb?: Kysely<unknown>;
  bus?: EventBus;
  relay?: OutboxRelay;
  redis?: Redis;
  revokedSessions?: RevokedSessions;
}

function closingSteps(opened: Opened): StopStep[] {
  const { relay, bus, redis, db, eventsDb, revokedSessions } = opened;
  return [
    ...(relay ? [['outbox relay', () => flushOutbox(relay)] as StopStep] : []),
    ...(revokedSessions ? [['revoked sessions', () => revokedSessions.stop()] as StopStep] : []),
    ...(bus ? [['event bus', () => bus.close()] as StopStep] : []),
    ...(redis ? [['redis', () => closeRedis(redis)] as StopStep] : []),
    ...(db ? [['database', () => db.destroy()] as StopStep] : []),
    ...(eventsDb ? [['events database', () => eventsDb.destroy()] as StopStep] : []),
  ];
}

/** Stops the relay's loop, then publishes what the last requests committed. */
async function flushOutbox(relay: OutboxRelay): Promise<void> {
  await relay.stop();
  await relay.drain();
}

/** Opens what the description needs, from `config`, recording each in `opened` as it goes. */
async function openNeeds(
  description: AnyServiceDescription,
  settings: AnySettings,
  logger: Logger,
  opened: Opened,
): Promise<ReadinessChecks> {
  const { name, needs } = description;
  const readiness: ReadinessChecks = {};
  if (needs.database) {
    // Never migrates: the migrate step did, as the owner (runService's --migrate). A
    // schema behind the code stops the start here, naming the missing migrations.
    const db = await connectDatabase(settings.DATABASE_URL, needs.database.migrations, {
      applicationName: name,
    });
    opened.db = db;
    readiness.database = () => pingDb(db);
  }
  const followsRevocations = Boolean(needs.sessions || needs.sessionRevocations);
  if (needs.events || followsRevocations) {
    const bus = await openEventBus(settings, name, logger);
    opened.bus = bus;
    readiness.nats = () => bus.ping();
  }
  if (followsRevocations && opened.bus) {
    // Loaded before anything is built: a service that cannot know which sessions
    // ended does not start (and so never accepts one).
    opened.revokedSessions = await RevokedSessions.open(opened.bus, logger);
  }
  if (needs.events && opened.bus) {
    const bus = opened.bus;
    if (opened.db) {
      // A pool of its own for handlers: sharing one, a burst of requests queued for
      // connections delays every event behind it (and an event burst, requests).
      opened.eventsDb = createDb(settings.DATABASE_URL, {
        max: EVENTS_POOL_SIZE,
        applicationName: `${name}-events`,
      });
      opened.relay = new OutboxRelay({
        db: opened.db,
        databaseUrl: settings.DATABASE_LISTEN_URL ?? settings.DATABASE_URL,
        bus,
        logger,
      });
    }
  }
  if (needs.redis) {
    const redis = connectRedis(settings);
    // BullMQ logs connection errors through its own listeners while its queues and
    // workers are open; without one of ours, an error before they attach or after
    // they close is printed by ioredis to stderr, outside the JSON logs.
    redis.on('error', (err: Error) => logger.debug({ err }, 'redis connection error'));
    opened.redis = redis;
    readiness.redis = () => redis.ping();
  }
  return readiness;
}

/**
 * Opens a service from its description, the same way for main.ts and the tests:
 * the connections its needs name, then its app and subscriptions from `build`.
 */
export async function openService<D extends AnyServiceDescription>(
  description: D,
  { config, logger, parts }: OpenServiceOptions<D>,
): Promise<OpenService<D>> {
  const { name, needs } = description;
  const settings = config as AnySettings;
  // Once per process (a test opening several services keeps the first name).
  initTracing({
    serviceName: name,
    otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT,
    protocol: settings.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampler: settings.OTEL_TRACES_SAMPLER,
    samplerArg: settings.OTEL_TRACES_SAMPLER_ARG,
    batch: spanBatchSettingsFrom(settings),
  });
  const opened: Opened = {};
  // Checked before anything opens: a retention shorter than the stream's is a config error.
  const retentionMs =
    needs.database && needs.events
      ? eventTablesRetentionMs({
          EVENT_TABLES_RETENTION_HOURS: settings.EVENT_TABLES_RETENTION_HOURS ?? 168,
          NATS_STREAM_MAX_AGE_HOURS: settings.NATS_STREAM_MAX_AGE_HOURS ?? 96,
        })
      : undefined;
  let built: BuiltService<ServiceNeeds>;
  let resources: Resources<ConfigOf<D>, ServiceNeeds>;
  try {
    const readiness = await openNeeds(description, settings, logger, opened);
    resources = {
      config,
      logger,
      readiness,
      admission: admissionSettingsFrom(settings),
      ...(opened.db ? { db: opened.db } : {}),
      ...(opened.bus ? { bus: opened.bus } : {}),
      ...(opened.redis ? { redis: opened.redis } : {}),
      ...(opened.revokedSessions ? { revokedSessions: opened.revokedSessions } : {}),
      ...(needs.sessions
        ? {
            verifySession: createSessionVerifier({
              publicKeyPem: settings.JWT_PUBLIC_KEY,
              jwksUrl: settings.AUTH_JWKS_URL,
              revoked: opened.revokedSessions,
            }),
          }
        : {}),
    };
    built = await description.build(resources, parts ?? {});
    if (built.subscriptions?.length && !needs.events) {
      throw new Error(`${name} subscribes to events but does not need them`);
    }
  } catch (error) {
    await stopInOrder(logger, closingSteps(opened))();
    throw error;
  }

  applyHttpTimeouts(built.app.server, settings);
  const subscriptions: Subscription<unknown>[] = built.subscriptions ?? [];
  const metrics = built.app.hasDecorator('metrics') ? built.app.metrics : undefined;
  if (metrics) {
    if (opened.bus && subscriptions.length > 0) {
      registerLagMetrics(
        metrics,
        opened.bus,
        subscriptions.map((s) => durableName(name, s.subject)),
      );
    }
    // The pools openService made; a service adds its own (payments') in build.
    registerPoolMetrics(metrics, { requests: opened.db, events: opened.eventsDb });
    if (opened.db && opened.relay) registerOutboxMetrics(metrics, opened.db);
  }
  const tasks: BackgroundTask[] = [...(built.tasks ?? [])];
  if (opened.db && opened.relay && retentionMs !== undefined) {
    tasks.push(
      eventTablesPruner({
        db: opened.db,
        logger,
        retentionMs,
      }),
    );
  }
  let consumers: EventConsumers<unknown> | undefined;
  let stopping: Promise<void> | undefined;

  const service = {
    ...resources,
    name,
    app: built.app,
    subscriptions,
    relay: opened.relay,
    tasks,
    startTasks() {
      for (const task of tasks) task.start();
    },
    async startConsumers(overrides: ConsumerSettings = {}) {
      if (!opened.bus || subscriptions.length === 0 || consumers) return;
      consumers = new EventConsumers({
        bus: opened.bus,
        service: name,
        subscriptions,
        db: opened.eventsDb,
        logger,
        concurrency: needs.events?.consumerConcurrency ?? 1,
        ...(metrics ? { metrics } : {}),
        ...overrides,
      });
      await consumers.start();
    },
    handle(event: EventEnvelope, context: HandlerContext) {
      const subscription = subscriptions.find((s) => s.subject === event.type);
      if (!subscription) throw new Error(`${name} does not consume ${event.type}`);
      return handleEvent(
        subscription,
        event,
        { ...(metrics ? { metrics } : {}), ...context },
        {
          consumer: durableName(name, event.type),
          db: opened.eventsDb,
        },
      );
    },
    stop() {
      stopping ??= stopInOrder(logger, [
        ['consumers', async () => consumers?.stop()],
        ['http', () => built.app.close()],
        ...tasks.map((task): StopStep => [task.name, () => task.stop()]),
        ...(built.alsoStop ?? []),
        ...closingSteps(opened),
        ['traces', () => shutdownTracing()],
      ])();
      return stopping;
    },
  };
  // The shape matches OpenService<D> by construction of `needs`; TypeScript cannot follow it.
  return service as unknown as OpenService<D>;
}
