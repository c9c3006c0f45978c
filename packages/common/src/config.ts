import { z } from 'zod';
import { MIGRATION_LOCK_ATTEMPTS, MIGRATION_LOCK_TIMEOUT_MS } from './db.js';
import { admissionConfigSchema } from './http/admission.js';
import {
  DEFAULT_SPAN_BATCH,
  OTLP_PROTOCOLS,
  type SpanBatchSettings,
  TRACES_SAMPLERS,
} from './tracing/settings.js';

/** Thrown when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses `env` against `schema`. Every problem is named in one line, e.g.
 * `Invalid configuration: DATABASE_URL: Invalid URL; PORT: Too big`.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(environment)';
    return `${key}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'], { message: 'Must be true, false, 1 or 0' })
  .transform((value) => value === 'true' || value === '1');

/** The URLs of a comma-separated list (NATS_URL of a cluster: one per server). */
export function splitUrlList(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** Reusable field schemas, so every service documents its keys the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: () => z.string().min(1).default('0.0.0.0'),
  url: (fallback: string) => z.url({ message: 'Must be a URL' }).default(fallback),
  /** One URL, or several separated by commas (the servers of a cluster); kept as the string. */
  urlList: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          const urls = splitUrlList(value);
          return urls.length > 0 && urls.every((url) => z.url().safeParse(url).success);
        },
        {
          message: 'Must be a URL, or URLs separated by commas',
        },
      ),
  name: (fallback: string) =>
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'Only letters, digits, - and _' })
      .default(fallback),
  boolean: (fallback: boolean) => booleanFromEnv.default(fallback),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
};

/** The OpenTelemetry spec's rule for its variables: empty counts as unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

/** Keys every HTTP service reads. Services extend this with their own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  /**
   * JSON log lines are written in chunks of about this many bytes (and at least once a
   * second, and on exit) instead of one write per line; 0: every line at once.
   */
  LOG_BUFFER_BYTES: z.coerce.number().int().min(0).default(4096),
  SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
  /** The whole request (headers and body) must arrive within this, or 408 and closed. */
  HTTP_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
  /** The request's headers must arrive within this (slow-loris clients are cut off). */
  HTTP_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
  /**
   * An idle kept-alive connection is closed after this; above a load balancer's
   * idle timeout (60 s is common), so the balancer lets go first.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(72_000),
  /**
   * Connections the kernel holds for the server until it accepts them (listen's
   * backlog, capped by net.core.somaxconn). Node's 511 overflowed in the overload
   * bench: a rush of new connections was dropped and retried after 1-3 s by the
   * client's TCP, the machine idle meanwhile (bench/bottlenecks.md §17).
   */
  HTTP_LISTEN_BACKLOG: env.positiveInt(4096),
  /**
   * OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318); traces are exported only
   * when set. Empty counts as unset, as the OpenTelemetry spec says of its variables
   * (Compose passes `${OTEL_EXPORTER_OTLP_ENDPOINT:-}` to every service).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: unsetIfEmpty(z.url({ message: 'Must be a URL' }).optional()),
  /** How spans are sent (docs/tracing.md): protobuf, the OpenTelemetry default, is the cheaper. */
  OTEL_EXPORTER_OTLP_PROTOCOL: unsetIfEmpty(z.enum(OTLP_PROTOCOLS).default('http/protobuf')),
  /**
   * Which traces are recorded when exporting (the OpenTelemetry spec's names);
   * `parentbased_traceidratio` with OTEL_TRACES_SAMPLER_ARG keeps a share of them.
   */
  OTEL_TRACES_SAMPLER: unsetIfEmpty(z.enum(TRACES_SAMPLERS).default('parentbased_always_on')),
  /** The share of traces the *traceidratio samplers keep, 0–1. */
  OTEL_TRACES_SAMPLER_ARG: unsetIfEmpty(z.coerce.number().min(0).max(1).default(1)),
  /**
   * The batch span processor (the spec's OTEL_BSP_* names; docs/tracing.md): the
   * longest a span waits to be sent (ms), how long one export may take (ms), how many
   * spans wait at most (more are dropped) and how many go in one export (at most the
   * queue). Defaults: DEFAULT_SPAN_BATCH.
   */
  OTEL_BSP_SCHEDULE_DELAY: unsetIfEmpty(
    z.coerce.number().int().min(0).default(DEFAULT_SPAN_BATCH.scheduledDelayMillis),
  ),
  OTEL_BSP_EXPORT_TIMEOUT: unsetIfEmpty(
    z.coerce.number().int().positive().default(DEFAULT_SPAN_BATCH.exportTimeoutMillis),
  ),
  OTEL_BSP_MAX_QUEUE_SIZE: unsetIfEmpty(
    z.coerce.number().int().positive().default(DEFAULT_SPAN_BATCH.maxQueueSize),
  ),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: unsetIfEmpty(
    z.coerce.number().int().positive().default(DEFAULT_SPAN_BATCH.maxExportBatchSize),
  ),
  ...admissionConfigSchema.shape,
});

/** Keys of services that verify sessions: a PEM public key, or auth's JWKS URL. */
export const authVerifyConfigSchema = z.object({
  JWT_PUBLIC_KEY: z.string().optional(),
  AUTH_JWKS_URL: env.url('http://127.0.0.1:3001/api/users/.well-known/jwks.json'),
});

/** Keys of services that talk to NATS JetStream. */
export const natsConfigSchema = z.object({
  /** The NATS server, or a cluster's servers separated by commas (the client fails over between them). */
  NATS_URL: env.urlList('nats://127.0.0.1:4222'),
  NATS_STREAM: env.name('GITTIX'),
  NATS_SUBJECT_PREFIX: env.name('gittix'),
  /**
   * Whether this process consumes the service's events. false: it serves its API and
   * publishes its outbox but consumes nothing, beside a process of the same service
   * that does (and gets no requests), so a busy API never delays an event
   * (bench/bottlenecks.md §13).
   */
  CONSUME_EVENTS: env.boolean(true),
  /** JetStream replicas of the streams: 1 on a single server, 3 on a cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Optional size cap of the event stream; JetStream reserves it up front. */
  NATS_STREAM_MAX_BYTES: z.coerce.number().int().positive().optional(),
  /** The service's NATS user and password; unset: connect without (a server with no users). */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /**
   * How long the event stream keeps an event: long enough for a consumer that is
   * down over a long weekend to catch up without losing anything.
   */
  NATS_STREAM_MAX_AGE_HOURS: z.coerce.number().int().positive().default(96),
  /**
   * How long a service with a database keeps sent outbox rows and its inbox (the
   * ids of handled events). Must outlive the stream's max age: an event still in
   * the stream can be redelivered, and its inbox row is what makes it a duplicate.
   */
  EVENT_TABLES_RETENTION_HOURS: z.coerce.number().int().positive().default(168),
});

/** `host:port,host:port`: the Sentinels of REDIS_SENTINELS. */
const sentinelList = z.string().transform((value, ctx) => {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const sentinels: Array<{ host: string; port: number }> = [];
  for (const entry of entries) {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `Not host:port: ${entry}` });
      return z.NEVER;
    }
    sentinels.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (sentinels.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'Lists no Sentinel (host:port,host:port)' });
    return z.NEVER;
  }
  return sentinels;
});

/**
 * Keys of services whose outbox relay LISTENs for commits: the LISTEN needs a
 * session of its own, which a transaction-pooling PgBouncer in DATABASE_URL's
 * path does not keep.
 */
export const outboxListenConfigSchema = z.object({
  /** A session connection (direct, or a session-mode pooler) for the relay's LISTEN; unset: DATABASE_URL. */
  DATABASE_LISTEN_URL: z.url({ message: 'Must be a URL' }).optional(),
});

/**
 * Keys of the migrate step (`--migrate`, docs/security.md "Postgres") beyond
 * DATABASE_URL, which there names the database's owner. Services with a database
 * list them so the README's table shows them; only the migrate step reads them.
 */
export const migrateStepConfigSchema = z.object({
  /**
   * The service's runtime role: after migrating, the owner grants it the rows of
   * every table (and future ones), USAGE on the schema and CONNECT, and revokes
   * CREATE and every other role's access. Unset: no grants (provisioning made them).
   */
  DATABASE_RUNTIME_ROLE: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
        message: 'Must be a Postgres role name (lower case letters, digits, _; at most 63)',
      })
      .optional(),
  ),
  /**
   * How long a migration waits for a table's lock (`lock_timeout`) before it is rolled
   * back and tried again: the queries it holds up behind it wait no longer than this.
   */
  MIGRATION_LOCK_TIMEOUT_MS: env.positiveInt(MIGRATION_LOCK_TIMEOUT_MS),
  /** How many times the migrations are run while a lock times out, backing off 1 s, 2 s … 30 s. */
  MIGRATION_LOCK_ATTEMPTS: env.positiveInt(MIGRATION_LOCK_ATTEMPTS),
});

/** Keys of services that keep state in Redis. */
export const redisConfigSchema = z.object({
  REDIS_URL: env.url('redis://127.0.0.1:6379'),
  /**
   * Sentinels that name the Redis master (`host:port`, comma-separated). When set,
   * the service asks them where the master is and follows failovers; REDIS_URL then
   * gives only the password (also the Sentinels') and the database number.
   */
  REDIS_SENTINELS: sentinelList.optional(),
  /** The master's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: env.name('gittix'),
  /** First part of every Redis key the service uses, so several systems (or tests) share a Redis. */
  QUEUE_PREFIX: env.name('gittix'),
});

/**
 * The OTEL_BSP_* keys as the batch processor takes them (DEFAULT_SPAN_BATCH's value
 * for a key left out). A batch larger than the queue could never fill (the SDK would
 * quietly shrink it): refused at boot.
 */
export function spanBatchSettingsFrom(config: {
  OTEL_BSP_SCHEDULE_DELAY?: number | undefined;
  OTEL_BSP_EXPORT_TIMEOUT?: number | undefined;
  OTEL_BSP_MAX_QUEUE_SIZE?: number | undefined;
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE?: number | undefined;
}): SpanBatchSettings {
  const settings: SpanBatchSettings = {
    scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY ?? DEFAULT_SPAN_BATCH.scheduledDelayMillis,
    exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT ?? DEFAULT_SPAN_BATCH.exportTimeoutMillis,
    maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE ?? DEFAULT_SPAN_BATCH.maxQueueSize,
    maxExportBatchSize:
      config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? DEFAULT_SPAN_BATCH.maxExportBatchSize,
  };
  if (settings.maxExportBatchSize > settings.maxQueueSize) {
    throw new ConfigError(
      'Invalid configuration: OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Must not exceed OTEL_BSP_MAX_QUEUE_SIZE',
    );
  }
  return settings;
}
