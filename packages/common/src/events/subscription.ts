import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventEnvelope, Subject } from './contracts.js';

export interface HandlerContext {
  /** 1 on first delivery. */
  deliveries: number;
  logger: Logger;
  /**
   * Runs `fn` once the handler's work is committed (after the inbox transaction,
   * or right after a handler without one): where a handler counts a domain outcome.
   * Set by the consumer; absent when a test calls a handler by hand.
   */
  afterCommit?: (fn: () => void) => void;
  /** The service's /metrics registry (domain counters: `counterOf(metrics, …)`). */
  metrics?: Registry;
}

/**
 * The house handler: it runs once per event, inside a transaction that also
 * records the event in the inbox, so its writes and "handled" commit together.
 */
export type EventHandler<DB, S extends Subject> = (
  trx: Transaction<DB>,
  event: EventEnvelope<S>,
  context: HandlerContext,
) => Promise<void>;

/** A handler without a database: it must be idempotent by itself. */
export type PlainEventHandler<S extends Subject> = (
  event: EventEnvelope<S>,
  context: HandlerContext,
) => Promise<void>;

/**
 * Several events of one subject in one transaction, each already recorded in the
 * inbox in it (duplicates left out): a burst costs one commit instead of one each.
 */
export type BatchEventHandler<DB, S extends Subject> = (
  trx: Transaction<DB>,
  events: EventEnvelope<S>[],
  context: HandlerContext,
) => Promise<void>;

/** One subject a service consumes, handled once per event through the inbox. */
export interface InboxSubscription<DB> {
  subject: Subject;
  inbox: true;
  handle: EventHandler<DB, Subject>;
  /** Set by subscribeBatch: the events waiting when a slot frees are handled together. */
  batch?: { handle: BatchEventHandler<DB, Subject>; maxEvents: number };
}

/**
 * Several events of one subject at once, for a service without a database: like a
 * PlainEventHandler it must be idempotent by itself.
 */
export type PlainBatchEventHandler<S extends Subject> = (
  events: EventEnvelope<S>[],
  context: HandlerContext,
) => Promise<void>;

/** One subject a service without a database consumes. */
export interface PlainSubscription {
  subject: Subject;
  inbox: false;
  handle: PlainEventHandler<Subject>;
  /** Set by subscribeBatchWithoutInbox: the events waiting when a slot frees are handled together. */
  batch?: { handle: PlainBatchEventHandler<Subject>; maxEvents: number };
}

export type Subscription<DB = never> = InboxSubscription<DB> | PlainSubscription;

// The handler of one subject stands in a list of all subjects: the consumer only ever
// hands it envelopes parsed for that subject, which the casts below rely on.

/** The one way a service with a database declares a consumer: `subscribe(subject, handler)`. */
export function subscribe<DB, S extends Subject>(
  subject: S,
  handle: EventHandler<DB, S>,
): InboxSubscription<DB> {
  return { subject, inbox: true, handle: handle as unknown as EventHandler<DB, Subject> };
}

/**
 * `subscribe` for a subject that comes in bursts (expiration.complete: every order
 * due at one instant): while a transaction is in flight, the events that arrive wait
 * and are then handled together, up to `maxEvents` in one transaction (group commit).
 * An event alone is handled at once, as a batch of one. If a batch fails, its events
 * are retried one by one, so one bad event neither blocks nor dead-letters the rest.
 */
export function subscribeBatch<DB, S extends Subject>(
  subject: S,
  handle: BatchEventHandler<DB, S>,
  { maxEvents = 100 }: { maxEvents?: number } = {},
): InboxSubscription<DB> {
  const batch = handle as unknown as BatchEventHandler<DB, Subject>;
  return {
    subject,
    inbox: true,
    handle: (trx, event, context) => batch(trx, [event], context),
    batch: { handle: batch, maxEvents },
  };
}

/** For a service without a database (expiration), whose handlers are idempotent by design. */
export function subscribeWithoutInbox<S extends Subject>(
  subject: S,
  handle: PlainEventHandler<S>,
): PlainSubscription {
  return { subject, inbox: false, handle: handle as unknown as PlainEventHandler<Subject> };
}

/**
 * `subscribeBatch` for a service without a database: the events waiting when a slot
 * frees go to the handler together, under one span, and are acked together. For a
 * subject whose bursts mostly need little or nothing done per event (expiration's
 * order.cancelled after a burst of expiries). If a batch fails, its events are
 * retried one by one.
 */
export function subscribeBatchWithoutInbox<S extends Subject>(
  subject: S,
  handle: PlainBatchEventHandler<S>,
  { maxEvents = 100 }: { maxEvents?: number } = {},
): PlainSubscription {
  const batch = handle as unknown as PlainBatchEventHandler<Subject>;
  return {
    subject,
    inbox: false,
    handle: (event, context) => batch([event], context),
    batch: { handle: batch, maxEvents },
  };
}
