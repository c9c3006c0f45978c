import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Migrations } from '../db.js';
import type { EventBus, NatsSettings } from '../events/bus.js';
import type { PlainSubscription, Subscription } from '../events/subscription.js';
import type { AdmissionConfig, AdmissionSettings } from '../http/admission.js';
import type { SessionVerifier } from '../http/auth.js';
import type { ReadinessChecks } from '../http/health.js';
import type { RevokedSessions } from '../http/revoked-sessions.js';
import type { HttpTimeoutSettings } from '../http/timeouts.js';
import type { Redis } from '../redis.js';
import type { OtlpProtocol, TracesSampler } from '../tracing/settings.js';
import type { BackgroundTask } from './periodic-task.js';

/** A PostgreSQL database of the service's own, with its migrations. */
export interface DatabaseNeed<DB> {
  migrations: Migrations;
  /** Carries the schema type only; never set. */
  readonly schema?: DB;
}

/** Declares the service's database: `postgres<TicketsDatabase>(migrations)`. */
export function postgres<DB>(migrations: Migrations): DatabaseNeed<DB> {
  return { migrations };
}

export interface EventsNeed {
  /** Events handled at once per subject (default 1). */
  consumerConcurrency?: number;
}

/** What a service needs opened before it can be built; the runner opens exactly these. */
export interface ServiceNeeds {
  /**
   * Checked to be migrated (the migrate step, `--migrate`, runs the migrations as the
   * owner); a pool for requests and, with events, one for handlers.
   */
  database?: DatabaseNeed<unknown>;
  /** The event bus and the consumers; with a database also the outbox relay. */
  events?: EventsNeed;
  redis?: true;
  /**
   * Verifies session tokens with JWT_PUBLIC_KEY or auth's JWKS, refusing those of
   * revoked sessions (RevokedSessions, loaded before build; needs NATS).
   */
  sessions?: true;
  /** The revoked sessions alone, for a service that verifies with its own key (auth). */
  sessionRevocations?: true;
}

/** Keys every service reads (baseConfigSchema plus PORT). */
export interface BaseServiceConfig extends HttpTimeoutSettings, AdmissionConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  LOG_PRETTY: boolean;
  SHUTDOWN_TIMEOUT_MS: number;
  HTTP_LISTEN_BACKLOG: number;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol | undefined;
  OTEL_TRACES_SAMPLER?: TracesSampler | undefined;
  OTEL_TRACES_SAMPLER_ARG?: number | undefined;
  OTEL_BSP_SCHEDULE_DELAY?: number | undefined;
  OTEL_BSP_EXPORT_TIMEOUT?: number | undefined;
  OTEL_BSP_MAX_QUEUE_SIZE?: number | undefined;
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE?: number | undefined;
}

/** The configuration keys the needs `N` read, on top of the base ones. */
export type ConfigNeeded<N extends ServiceNeeds> = BaseServiceConfig &
  (N extends { database: object } ? { DATABASE_URL: string } : unknown) &
  (N extends { events: object } ? NatsSettings : unknown) &
  (N extends { sessions: true } ? NatsSettings : unknown) &
  (N extends { sessionRevocations: true } ? NatsSettings : unknown) &
  (N extends { redis: true } ? { REDIS_URL: string } : unknown) &
  (N extends { sessions: true }
    ? { JWT_PUBLIC_KEY?: string | undefined; AUTH_JWKS_URL: string }
    : unknown);

type DatabaseOf<N> = N extends { database: DatabaseNeed<infer DB> } ? DB : never;

/** What `build` receives: the configuration and everything the needs opened. */
export type Resources<Config, N extends ServiceNeeds> = {
  config: Config;
  logger: Logger;
  /** Readiness probes of the opened connections, for the app's `/readyz`. */
  readiness: ReadinessChecks;
  /** The ADMISSION_* limits, for the app's admission control (createServiceApp's `admission`). */
  admission: AdmissionSettings;
} & (N extends { database: object } ? { db: Kysely<DatabaseOf<N>> } : unknown) &
  (N extends { events: object } ? { bus: EventBus } : unknown) &
  (N extends { redis: true } ? { redis: Redis } : unknown) &
  (N extends { sessions: true }
    ? { verifySession: SessionVerifier; revokedSessions: RevokedSessions }
    : unknown) &
  (N extends { sessionRevocations: true } ? { revokedSessions: RevokedSessions } : unknown);

/** Something `build` started that must stop after HTTP and before the connections close. */
export type StopStep = [name: string, stop: () => Promise<unknown>];

export interface BuiltService<N extends ServiceNeeds> {
  app: FastifyInstance;
  /** What the service consumes (with events): `subscribe(subject, handler)` each. */
  subscriptions?: Array<
    N extends { database: object } ? Subscription<DatabaseOf<N>> : PlainSubscription
  >;
  /** Stopped in this order after HTTP closes, before the outbox flush and the connections. */
  alsoStop?: StopStep[];
  /**
   * Work on a schedule of its own (orders' sweeper): started with the relay and the
   * consumers (main.ts, a test's `start()`), stopped right after HTTP.
   */
  tasks?: BackgroundTask[];
}

/**
 * A service, described once for main.ts and the tests alike: its name, config
 * schema, what it needs opened, and how to build its app and consumers from that.
 * `parts` are collaborators a test may replace (a payment provider); main.ts never does.
 */
export interface ServiceDescription<
  S extends z.ZodType<ConfigNeeded<N>>,
  N extends ServiceNeeds,
  Parts extends object = Record<never, never>,
> {
  name: string;
  configSchema: S;
  needs: N;
  build(resources: Resources<z.output<S>, N>, parts: Partial<Parts>): Promise<BuiltService<N>>;
}

/** Checks a description against its own types; returns it unchanged. */
export function defineService<
  S extends z.ZodType<ConfigNeeded<N>>,
  N extends ServiceNeeds,
  Parts extends object = Record<never, never>,
>(description: ServiceDescription<S, N, Parts>): ServiceDescription<S, N, Parts> {
  return description;
}

// biome-ignore lint/suspicious/noExplicitAny: any description, whatever its config, needs and parts
export type AnyServiceDescription = ServiceDescription<any, any, any>;

export type ConfigOf<D extends AnyServiceDescription> = z.output<D['configSchema']>;
export type NeedsOf<D extends AnyServiceDescription> = D['needs'];
/** The collaborators a test may hand a description's build. */
export type PartsOf<D extends AnyServiceDescription> = Parameters<D['build']>[1];
