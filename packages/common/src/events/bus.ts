import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { headers, type NatsConnection, nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { type Context, context, SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { splitUrlList } from '../config.js';
import { inSpan, traceCarrier } from '../tracing/tracing.js';
import {
  createEnvelope,
  type EventEnvelope,
  type EventInput,
  type Subject,
  subjects,
} from './contracts.js';

const HOUR_MS = 60 * 60 * 1000;
/**
 * How long the sessions stream keeps a revocation: longer than any session token
 * lives (auth's SESSION_TTL_SECONDS is capped below it).
 */
export const SESSION_REVOCATIONS_MAX_AGE_MS = 31 * 24 * HOUR_MS;

/** The event stream's default max age: a consumer down over a long weekend still catches up. */
export const DEFAULT_STREAM_MAX_AGE_MS = 96 * HOUR_MS;

/**
 * The window in which JetStream drops a second publish with the same Nats-Msg-Id
 * (a relay republishing after a crash). Sent outbox rows and inbox rows are kept
 * far longer than this (EVENT_TABLES_RETENTION_HOURS).
 */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

/**
 * `consume()` options for a reader that follows a stream as it grows (an ordered
 * consumer): heartbeats every 2 s, not nats.js' 15, so a pull request the server drops
 * without a word (NATS 2.9.10 does, as one expires: docs/events.md) is made again after
 * 4-6 s instead of 30. A false alarm costs such a reader only a new pull.
 */
export const FOLLOWING_CONSUME = { expires: 30_000, idle_heartbeat: 2_000 } as const;

/**
 * Where a service's replies arrive (request replies, JetStream acks, pulled
 * messages): a prefix of its own, so no other user may listen to them.
 */
export function inboxPrefixOf(service: string): string {
  return `_INBOX_${service}`;
}

/** How long starting a service keeps trying a stream request the cluster did not answer. */
const STREAM_SETUP_RETRY_MS = 30_000;

/** Whether `existing` already has every setting of `wanted` (the server adds defaults of its own). */
function alreadyConfigured(existing: StreamConfig, wanted: Partial<StreamConfig>): boolean {
  const current = existing as unknown as Record<string, unknown>;
  return Object.entries(wanted).every(
    ([key, value]) => JSON.stringify(current[key]) === JSON.stringify(value),
  );
}

export interface EventBusOptions {
  /** The server, or a cluster's servers separated by commas. */
  url: string;
  /** Stream holding every GitTix event; dead letters go to `<stream>_DEADLETTER`. */
  stream: string;
  /** First subject token, e.g. `gittix` gives `gittix.ticket.created`. */
  subjectPrefix: string;
  /** Connection name shown by the NATS server (the service's name). */
  name: string;
  logger: Logger;
  /** JetStream replicas per stream (3 on a cluster). */
  replicas?: number;
  /**
   * Size cap of the event stream in bytes (oldest dropped beyond it). Off by
   * default: JetStream reserves a stream's max_bytes up front against the
   * server's storage, so a generous cap stops other streams from being created.
   */
  maxBytes?: number;
  /** Credentials of a server with users (docs/security.md); absent: none. */
  user?: string;
  password?: string;
  /** Where replies arrive (default `_INBOX`); a service's own, so its permissions can say so. */
  inboxPrefix?: string;
  /** How long the event stream keeps an event (default 96 h). */
  maxAgeMs?: number;
}

/** The NATS keys of a service's configuration (natsConfigSchema). */
export interface NatsSettings {
  NATS_URL: string;
  NATS_STREAM: string;
  NATS_SUBJECT_PREFIX: string;
  NATS_STREAM_REPLICAS?: number;
  NATS_STREAM_MAX_BYTES?: number | undefined;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_STREAM_MAX_AGE_HOURS?: number;
}

/** Connects with the configured names and makes sure both streams exist. */
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
    ...(settings.NATS_USER
      ? { user: settings.NATS_USER, password: settings.NATS_PASSWORD ?? '' }
      : {}),
    inboxPrefix: inboxPrefixOf(name),
    ...(settings.NATS_STREAM_MAX_AGE_HOURS
      ? { maxAgeMs: settings.NATS_STREAM_MAX_AGE_HOURS * HOUR_MS }
      : {}),
  });
  try {
    await bus.ensureStreams();
  } catch (error) {
    await bus.close();
    throw error;
  }
  return bus;
}

/** Entity families whose events the main stream holds: the first token of every subject. */
const FAMILIES = [...new Set(subjects.map((subject) => subject.split('.')[0]!))];

/**
 * A NATS connection with GitTix's naming: subjects under a prefix, one stream of
 * events and one of dead letters. Everything talks to JetStream through this.
 */
export class EventBus {
  readonly deadLetterStream: string;
  /** Session revocations, copied from the event stream and kept as long as a session lives. */
  readonly sessionsStream: string;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: EventBusOptions,
  ) {
    this.deadLetterStream = `${options.stream}_DEADLETTER`;
    this.sessionsStream = `${options.stream}_SESSIONS`;
  }

  static async connect(options: EventBusOptions): Promise<EventBus> {
    const nc = await connect({
      servers: splitUrlList(options.url),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5_000,
      // Otherwise every request (each JetStream publish's ack) builds an Error up
      // front to keep the caller's stack: 1 % of tickets' CPU in bench/profiles.
      noAsyncTraces: true,
      ...(options.user ? { user: options.user, pass: options.password ?? '' } : {}),
      ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    });
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect') {
          options.logger.warn({ nats: status.type }, `NATS ${status.type}`);
        }
      }
    })();
    const jsm = await jetstreamManager(nc);
    return new EventBus(nc, jetstream(nc), jsm, options);
  }

  get stream(): string {
    return this.options.stream;
  }

  subjectOf(subject: Subject): string {
    return `${this.options.subjectPrefix}.${subject}`;
  }

  deadLetterSubjectOf(consumer: string): string {
    return `${this.options.subjectPrefix}.deadletter.${consumer}`;
  }

  /** Creates or updates the three streams; safe when several services start at once. */
  async ensureStreams(): Promise<void> {
    const prefix = this.options.subjectPrefix;
    const replicas = this.options.replicas ?? 1;
    await this.upsertStream({
      name: this.options.stream,
      subjects: FAMILIES.map((family) => `${prefix}.${family}.>`),
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      // Long enough for a consumer down over a weekend (NATS_STREAM_MAX_AGE_HOURS),
      // bounded by bytes too when NATS_STREAM_MAX_BYTES is set.
      max_age: nanos(this.options.maxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS),
      max_bytes: this.options.maxBytes ?? -1,
      // A relay that crashes after publishing and restarts within this window
      // republishes into the broker's de-duplication, not into consumers.
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: replicas,
    });
    await this.upsertStream({
      name: this.deadLetterStream,
      subjects: [`${prefix}.deadletter.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(30 * 24 * HOUR_MS),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: replicas,
    });
    // session.revoked outlives the event stream (NATS_STREAM_MAX_AGE_HOURS): JetStream copies
    // it here (a source, no subjects of its own), where it stays until every token it
    // ends has expired. Services rebuild their revocation list from it (RevokedSessions).
    await this.upsertStream({
      name: this.sessionsStream,
      sources: [{ name: this.options.stream, filter_subject: this.subjectOf('session.revoked') }],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(SESSION_REVOCATIONS_MAX_AGE_MS),
      num_replicas: replicas,
    });
  }

  /**
   * Creates the stream or brings it to `config`. On a cluster every change is a
   * Raft proposal: a stream already as configured is left alone (services start
   * together and would otherwise all propose the same update), and a request that
   * times out while the cluster is busy or electing a leader is tried again for
   * up to 30 s before the start fails.
   */
  private async upsertStream(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    const deadline = Date.now() + STREAM_SETUP_RETRY_MS;
    for (;;) {
      try {
        return await this.upsertStreamOnce(config);
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        if (!timedOut || Date.now() > deadline) throw error;
        this.options.logger.warn(
          { stream: config.name },
          'JetStream did not answer a stream request in time, trying again',
        );
      }
    }
  }

  private async upsertStreamOnce(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    const existing = await this.streamConfig(config.name);
    if (existing && alreadyConfigured(existing, config)) return;
    if (!existing) {
      try {
        await this.jsm.streams.add(config);
        return;
      } catch (error) {
        // Lost a creation race with another service: update below. Anything else
        // (no JetStream, not enough storage) is the real problem: say it.
        if (!(await this.streamConfig(config.name))) throw error;
      }
    }
    await this.jsm.streams.update(config.name, config);
  }

  /** The stream's configuration, or undefined when there is no such stream. */
  private async streamConfig(name: string): Promise<StreamConfig | undefined> {
    try {
      return (await this.jsm.streams.info(name)).config;
    } catch (error) {
      const notFound =
        error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
      if (notFound) return undefined;
      throw error;
    }
  }

  /**
   * Publishes one event and waits for JetStream's acknowledgement. Services with
   * a database publish through the outbox instead; this is for the relay, the
   * expiration service (whose state lives in Redis) and the events CLI.
   */
  async publish(envelope: EventEnvelope, timeoutMs = 5_000, parent?: Context): Promise<void> {
    const subject = this.subjectOf(envelope.type);
    await inSpan(
      `${envelope.type} publish`,
      {
        kind: SpanKind.PRODUCER,
        ...(parent ? { parent } : {}),
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.destination.name': subject,
          'messaging.message.id': envelope.id,
        },
      },
      async (span) => {
        // The consumer's span continues this one: W3C headers on the message.
        const messageHeaders = headers();
        const carrier = traceCarrier(trace.setSpan(context.active(), span));
        for (const [key, value] of Object.entries(carrier)) messageHeaders.set(key, value);
        await this.js.publish(subject, JSON.stringify(envelope), {
          msgID: envelope.id,
          timeout: timeoutMs,
          headers: messageHeaders,
        });
      },
    );
  }

  async publishEvent<S extends Subject>(subject: S, data: EventInput<S>, eventId: string) {
    await this.publish(createEnvelope(subject, data, eventId));
  }

  /** Readiness: a round trip to the server. */
  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection closed');
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
