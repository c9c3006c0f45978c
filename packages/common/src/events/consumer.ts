import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { context, SpanKind } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Histogram, type Metric, type Registry } from 'prom-client';
import { metricOf } from '../metrics/registry.js';
import { contextFromCarrier, inSpan, withCausation } from '../tracing/tracing.js';
import { isTransientError } from '../transient.js';
import type { EventBus } from './bus.js';
import { type EventEnvelope, parseEnvelope, type Subject } from './contracts.js';
import { heldMessagesOf } from './held-messages.js';
import { handleBatchOnce, handleOnce } from './inbox.js';
import { HeldPull } from './pull.js';
import type { HandlerContext, Subscription } from './subscription.js';
import { atTurnEnd, turnEnd } from './turn.js';

export interface HandleEventOptions<DB> {
  /** The inbox's key: the durable consumer's name. */
  consumer: string;
  /** Where inbox subscriptions open their transaction. */
  db: Kysely<DB> | undefined;
}

/** Runs one parsed event through its subscription, exactly as the pull loop does. */
export async function handleEvent<DB>(
  subscription: Subscription<DB>,
  event: EventEnvelope,
  context: HandlerContext,
  { consumer, db }: HandleEventOptions<DB>,
): Promise<void> {
  const committed: Array<() => void> = [];
  const withCommit: HandlerContext = { ...context, afterCommit: (fn) => committed.push(fn) };
  if (!subscription.inbox) {
    await subscription.handle(event, withCommit);
  } else {
    if (!db) throw new Error(`${consumer} records an inbox row but was given no database`);
    await handleOnce(db, consumer, subscription.handle)(event, withCommit);
  }
  for (const fn of committed) fn();
}

export interface ConsumerOptions<DB = never> {
  bus: EventBus;
  /** Service name: durable consumers (and inbox keys) are `<service>_<subject>`. */
  service: string;
  subscriptions: Subscription<DB>[];
  /** The pool inbox subscriptions run their transactions on. */
  db?: Kysely<DB>;
  logger: Logger;
  /** Deliveries before an event is dead-lettered instead of retried. */
  maxDeliveries?: number;
  /** Messages handled at once per subject. */
  concurrency?: number;
  ackWaitMs?: number;
  /** First retry delay while a dependency is out of reach; doubles up to 15 s. */
  transientRetryMs?: number;
  /** Where handler durations, redeliveries and dead letters are counted (the app's /metrics). */
  metrics?: Registry;
}

/** How the handling of one delivery ended, the `outcome` of the handler histogram. */
type HandlingOutcome = 'ok' | 'retry' | 'transient' | 'dead_letter';

interface ConsumerMetrics {
  duration: Histogram<'subject' | 'outcome'>;
  redeliveries: Counter<'consumer'>;
  deadLetters: Counter<'consumer'>;
  lostPulls: Counter<'consumer'>;
}

function consumerMetrics(registry: Registry): ConsumerMetrics {
  const metric = <M extends Metric>(name: string, create: (name: string) => M) =>
    metricOf(registry, name, () => create(name));
  return {
    duration: metric(
      'gittix_event_handler_duration_seconds',
      (name) =>
        new Histogram({
          name,
          help: 'Time to handle one delivery of an event, inbox transaction included, by subject and outcome (ok, retry, transient, dead_letter)',
          labelNames: ['subject', 'outcome'],
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
    ),
    redeliveries: metric(
      'gittix_event_redeliveries_total',
      (name) =>
        new Counter({
          name,
          help: 'Deliveries of an event after its first (a retry, or an ack that came too late), by durable consumer',
          labelNames: ['consumer'],
          registers: [registry],
        }),
    ),
    deadLetters: metric(
      'gittix_dead_letters_total',
      (name) =>
        new Counter({
          name,
          help: 'Events given up on and published to the dead-letter stream, by durable consumer',
          labelNames: ['consumer'],
          registers: [registry],
        }),
    ),
    lostPulls: metric(
      'gittix_event_pulls_lost_total',
      (name) =>
        new Counter({
          name,
          help: 'Pull requests the server stopped answering (two idle heartbeats missed) and that were made again, by durable consumer',
          labelNames: ['consumer'],
          registers: [registry],
        }),
    ),
  };
}

/**
 * Runs `fn` as the handling of `event`: the envelopes it creates (createEnvelope)
 * name `event` as their cause. The consumer does this for a handler of one event;
 * a batch handler does it per event for the events each one causes.
 */
export function causedBy<T>(event: EventEnvelope, fn: () => T): T {
  return context.with(
    withCausation(context.active(), {
      correlationId: event.correlationId ?? event.id,
      causationId: event.id,
    }),
    fn,
  );
}

/** The durable consumer of `subject` for `service`; also its key in the inbox. */
export function durableName(service: string, subject: Subject): string {
  return `${service}_${subject.replace('.', '_')}`;
}

/** A message's headers as the W3C trace carrier they hold (lower-case keys). */
function carrierOf(message: JsMsg): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const key of message.headers?.keys() ?? []) {
    const value = message.headers?.get(key);
    if (value) carrier[key.toLowerCase()] = value;
  }
  return carrier;
}

function retryDelayMs(deliveries: number): number {
  return Math.min(100 * 2 ** (deliveries - 1), 10_000);
}

/**
 * Pulls each subscription's durable JetStream consumer and hands valid events
 * to its handler, acking only after the handler (and its transaction) finished.
 * Failures are retried with backoff; a message that cannot be parsed, or keeps
 * failing, is published to the dead-letter stream and terminated so it stops
 * blocking the rest.
 */
export class EventConsumers<DB = never> {
  private readonly maxDeliveries: number;
  private readonly concurrency: number;
  private readonly ackWaitMs: number;
  private readonly transientRetryMs: number;
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly closers = new Set<() => Promise<unknown>>();
  private readonly metrics: ConsumerMetrics | undefined;

  constructor(private readonly options: ConsumerOptions<DB>) {
    this.metrics = options.metrics ? consumerMetrics(options.metrics) : undefined;
    const needsDb = options.subscriptions.find((subscription) => subscription.inbox);
    if (needsDb && !options.db) {
      throw new Error(
        `${options.service} consumes ${needsDb.subject} through the inbox: give it db`,
      );
    }
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.concurrency = options.concurrency ?? 1;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.transientRetryMs = options.transientRetryMs ?? 500;
  }

  /** Creates (or updates) the durable consumers, then starts pulling. */
  async start(): Promise<void> {
    this.running = true;
    for (const subscription of this.options.subscriptions) {
      await this.ensureConsumer(subscription.subject);
      this.loops.push(this.consumeLoop(subscription));
    }
  }

  /** Stops pulling and waits for the messages being handled to finish. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.closers].map((close) => close().catch(() => {})));
    await Promise.all(this.loops);
    // The last handled messages' acks are queued for the end of the turn.
    await turnEnd();
  }

  private consumerConfig(subject: Subject): Partial<ConsumerConfig> {
    return {
      durable_name: durableName(this.options.service, subject),
      filter_subject: this.options.bus.subjectOf(subject),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.ackWaitMs),
      max_ack_pending: 1_000,
      // We count deliveries ourselves and dead-letter; the server never gives up.
      max_deliver: -1,
    };
  }

  private async ensureConsumer(subject: Subject): Promise<void> {
    const { jsm, stream } = this.options.bus;
    const config = this.consumerConfig(subject);
    try {
      await jsm.consumers.add(stream, config);
    } catch {
      await jsm.consumers.update(stream, config.durable_name!, config);
    }
  }

  private async consumeLoop(subscription: Subscription<DB>): Promise<void> {
    const { bus, logger } = this.options;
    const name = durableName(this.options.service, subscription.subject);
    const held = this.options.metrics && heldMessagesOf(this.options.metrics);
    let uncount: (() => void) | undefined;
    let backoff = 200;
    while (this.running) {
      try {
        const consumer = await bus.js.consumers.get(bus.stream, name);
        // Not consume(): its buffer is out of reach, where messages waiting behind a slow
        // handler outlived ack_wait and came again (HeldPull keeps each in progress).
        const messages = new HeldPull(consumer, {
          limit: this.holdLimit(subscription),
          ackWaitMs: this.ackWaitMs,
          onLostPull: () => {
            this.metrics?.lostPulls.inc({ consumer: name });
            logger.warn({ consumer: name }, 'pull request lost (no heartbeat), pulling again');
          },
        });
        // The age of the oldest unacked event in /metrics is that of its oldest held one.
        uncount?.();
        uncount = held?.add(name, messages);
        const close = () => messages.close();
        this.closers.add(close);
        // stop() closes the subscriptions it finds: one made while it ran (this loop
        // was still subscribing) is closed here, or it would pull forever.
        if (!this.running) void close().catch(() => {});
        if (subscription.batch) {
          await this.consumeBatches(subscription, subscription.batch.maxEvents, messages);
          this.closers.delete(close);
          backoff = 200;
          continue;
        }
        const inFlight = new Set<Promise<void>>();
        for await (const message of messages) {
          if (!this.running) {
            message.nak();
            continue;
          }
          const work = this.process(subscription, message).finally(() => inFlight.delete(work));
          inFlight.add(work);
          if (inFlight.size >= this.concurrency) await Promise.race(inFlight);
          backoff = 200;
        }
        await Promise.all(inFlight);
        this.closers.delete(close);
      } catch (error) {
        if (!this.running) break;
        logger.warn({ err: error, consumer: name }, 'consumer interrupted, resubscribing');
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 5_000);
        await this.ensureConsumer(subscription.subject).catch(() => {});
      }
    }
    uncount?.();
  }

  /**
   * How many messages this process holds at once: those its slots handle, and a pull's
   * worth waiting for a free slot (asked for again when a quarter of it is free). A
   * batch subscription pulls as many as its slots' batches hold: with 16, a burst
   * reached orders 16 messages a round trip, and its 1,000 expiries' cancellations
   * trickled over a second after the last one was published (bench/bottlenecks.md
   * §19). One by one, a few per slot keep the slots busy.
   */
  private holdLimit(subscription: Subscription<DB>): number {
    const perSlot = subscription.batch?.maxEvents ?? 4;
    const inFlight = this.concurrency * (subscription.batch?.maxEvents ?? 1);
    return inFlight + Math.max(16, this.concurrency * perSlot);
  }

  /**
   * Group commit: the messages that arrive in one turn of the event loop (a pull's
   * worth comes in one) go to a free one of `concurrency` slots together, and those
   * that arrive while every slot is busy wait for the next free one; a slot takes up
   * to `maxEvents` at once. Taking a turn's arrivals together matters for a handler
   * that finishes at once: started one by one, each would find a slot free and go
   * alone (bench/bottlenecks.md §22).
   */
  private async consumeBatches(
    subscription: Subscription<DB>,
    maxEvents: number,
    messages: AsyncIterable<JsMsg>,
  ): Promise<void> {
    const waiting: JsMsg[] = [];
    const inFlight = new Set<Promise<void>>();
    const pump = () => {
      if (!this.running) {
        for (const message of waiting.splice(0)) message.nak();
        return;
      }
      while (waiting.length > 0 && inFlight.size < this.concurrency) {
        const batch = waiting.splice(0, maxEvents);
        const work = this.processBatch(subscription, batch).finally(() => {
          inFlight.delete(work);
          pump();
        });
        inFlight.add(work);
      }
    };
    let pumpQueued = false;
    const pumpAtTurnEnd = () => {
      if (pumpQueued) return;
      pumpQueued = true;
      atTurnEnd(() => {
        pumpQueued = false;
        pump();
      });
    };
    for await (const message of messages) {
      if (!this.running) {
        message.nak();
        continue;
      }
      waiting.push(message);
      pumpAtTurnEnd();
      // Enough waiting for every slot's next batch: let one finish before pulling more.
      while (waiting.length >= maxEvents * this.concurrency && inFlight.size > 0) {
        await Promise.race(inFlight);
      }
    }
    pump();
    while (inFlight.size > 0) await Promise.race(inFlight);
    for (const message of waiting.splice(0)) message.nak();
  }

  /**
   * Handles messages together: in one transaction with their inbox rows, or for a
   * subscription without an inbox in one handler call. If that fails, each on its
   * own (retries, dead letters).
   */
  private async processBatch(subscription: Subscription<DB>, batch: JsMsg[]): Promise<void> {
    const consumer = durableName(this.options.service, subscription.subject);
    // A batch of one (most messages outside a burst) goes the ordinary way at once.
    const together =
      batch.length > 1 ? batchHandler(subscription, this.options.db, consumer) : undefined;
    if (!together) {
      for (const message of batch) await this.process(subscription, message);
      return;
    }
    const events: EventEnvelope[] = [];
    const parsed: JsMsg[] = [];
    for (const message of batch) {
      try {
        events.push(parseEnvelope(subscription.subject, message.json()));
        parsed.push(message);
      } catch {
        // Dead-lettered by the one-by-one path, which logs why.
        await this.process(subscription, message);
      }
    }
    if (parsed.length === 0) return;
    const logger = this.options.logger.child({
      subject: subscription.subject,
      batch: parsed.length,
    });
    const committed: Array<() => void> = [];
    const started = performance.now();
    try {
      await inSpan(
        `${subscription.subject} process`,
        {
          kind: SpanKind.CONSUMER,
          // One span for the batch, child of its first event's publisher.
          parent: contextFromCarrier(carrierOf(parsed[0]!)),
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'process',
            'messaging.destination.name': parsed[0]!.subject,
            'messaging.consumer.group.name': consumer,
            'messaging.batch.message_count': parsed.length,
          },
        },
        () =>
          together(events, {
            deliveries: Math.max(...parsed.map((m) => m.info.deliveryCount)),
            logger,
            afterCommit: (fn) => committed.push(fn),
            ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
          }),
      );
    } catch (error) {
      logger.warn({ err: error }, 'batch failed, handling its events one by one');
      for (const message of parsed) await this.process(subscription, message);
      return;
    }
    for (const fn of committed) fn();
    if (this.metrics) {
      // Each event of the batch took its share of the one transaction.
      const share = (performance.now() - started) / 1000 / parsed.length;
      for (const message of parsed) {
        if (message.info.deliveryCount > 1) this.metrics.redeliveries.labels(consumer).inc();
        this.metrics.duration.labels(subscription.subject, 'ok').observe(share);
      }
    }
    for (const message of parsed) message.ack();
    logger.debug('events handled');
  }

  /** Handles one message inside a CONSUMER span, child of the publisher's (NATS headers). */
  private process(subscription: Subscription<DB>, message: JsMsg): Promise<void> {
    return inSpan(
      `${subscription.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromCarrier(carrierOf(message)),
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.subject,
          'messaging.consumer.group.name': durableName(this.options.service, subscription.subject),
          'messaging.nats.delivery_count': message.info.deliveryCount,
        },
      },
      () => this.measured(subscription, message),
    );
  }

  private async measured(subscription: Subscription<DB>, message: JsMsg): Promise<void> {
    const metrics = this.metrics;
    if (!metrics) {
      await this.processInSpan(subscription, message);
      return;
    }
    const consumer = durableName(this.options.service, subscription.subject);
    if (message.info.deliveryCount > 1) metrics.redeliveries.labels(consumer).inc();
    const started = performance.now();
    const outcome = await this.processInSpan(subscription, message);
    metrics.duration
      .labels(subscription.subject, outcome)
      .observe((performance.now() - started) / 1000);
    if (outcome === 'dead_letter') metrics.deadLetters.labels(consumer).inc();
  }

  private async processInSpan(
    subscription: Subscription<DB>,
    message: JsMsg,
  ): Promise<HandlingOutcome> {
    const deliveries = message.info.deliveryCount;
    const logger = this.options.logger.child({
      subject: subscription.subject,
      streamSeq: message.info.streamSequence,
      deliveries,
    });
    let event: EventEnvelope;
    try {
      event = parseEnvelope(subscription.subject, message.json());
    } catch (error) {
      return this.deadLetter(subscription.subject, message, error, logger);
    }
    try {
      // Events the handler writes name this one as their cause.
      await causedBy(event, () =>
        handleEvent(
          subscription,
          event,
          {
            deliveries,
            logger,
            ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
          },
          {
            consumer: durableName(this.options.service, subscription.subject),
            db: this.options.db,
          },
        ),
      );
      // With the other acks of this turn: one write to NATS, not one each.
      atTurnEnd(() => {
        try {
          message.ack();
        } catch (error) {
          // The connection closed meanwhile: the event comes again, and is handled once.
          logger.warn(
            { err: error, eventId: event.id },
            'ack failed; the event will be redelivered',
          );
        }
      });
      logger.debug({ eventId: event.id }, 'event handled');
      return 'ok';
    } catch (error) {
      if (isTransientError(error)) {
        // The database (or another dependency) is out of reach: the event is fine.
        // Retry until it is back, however long, and never dead-letter for this.
        logger.warn({ err: error, eventId: event.id }, 'dependency unavailable, will retry');
        message.nak(Math.min(this.transientRetryMs * 2 ** (deliveries - 1), 15_000));
        return 'transient';
      }
      if (deliveries >= this.maxDeliveries) {
        return this.deadLetter(subscription.subject, message, error, logger);
      }
      logger.warn({ err: error, eventId: event.id }, 'event handler failed, will retry');
      message.nak(retryDelayMs(deliveries));
      return 'retry';
    }
  }

  private async deadLetter(
    subject: Subject,
    message: JsMsg,
    error: unknown,
    logger: Logger,
  ): Promise<HandlingOutcome> {
    const consumer = durableName(this.options.service, subject);
    const reason = error instanceof Error ? error.message : String(error);
    const record = {
      consumer,
      subject: message.subject,
      streamSeq: message.info.streamSequence,
      deliveries: message.info.deliveryCount,
      error: reason.slice(0, 2_000),
      failedAt: new Date().toISOString(),
      payload: message.string().slice(0, 64 * 1024),
    };
    try {
      await this.options.bus.js.publish(
        this.options.bus.deadLetterSubjectOf(consumer),
        JSON.stringify(record),
        { msgID: `${consumer}-${record.streamSeq}` },
      );
      logger.error({ error: reason }, 'event dead-lettered');
      // No reason text: NATS 2.9 only knows a bare "+TERM" and ignores "+TERM <reason>",
      // which would leave the message ack-pending and redelivered forever.
      message.term();
      return 'dead_letter';
    } catch (publishError) {
      // Could not record it: leave it for redelivery rather than lose it.
      logger.error({ err: publishError }, 'dead-lettering failed, will retry');
      message.nak(retryDelayMs(message.info.deliveryCount));
      return 'retry';
    }
  }
}

/** What the dead-letter stream holds, one record per abandoned message. */
export interface DeadLetterRecord {
  consumer: string;
  subject: string;
  streamSeq: number;
  deliveries: number;
  error: string;
  failedAt: string;
  payload: string;
}

/**
 * How a batch of `subscription`'s events is handled together: its batch handler in one
 * transaction with their inbox rows, or as it is without an inbox; undefined for a
 * subscription whose events are handled one by one.
 */
function batchHandler<DB>(
  subscription: Subscription<DB>,
  db: Kysely<DB> | undefined,
  consumer: string,
): ((events: EventEnvelope[], context: HandlerContext) => Promise<void>) | undefined {
  if (!subscription.batch) return undefined;
  if (!subscription.inbox) return subscription.batch.handle;
  return db ? handleBatchOnce(db, consumer, subscription.batch.handle) : undefined;
}
