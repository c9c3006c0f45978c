import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { EventEnvelope, Subject } from './contracts.js';

export interface HandlerContext {
  /** 1 on first delivery. */
  deliveries: number;
  logger: Logger;
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

/** One subject a service consumes, handled once per event through the inbox. */
export interface InboxSubscription<DB> {
  subject: Subject;
  inbox: true;
  handle: EventHandler<DB, Subject>;
}

/** One subject a service without a database consumes. */
export interface PlainSubscription {
  subject: Subject;
  inbox: false;
  handle: PlainEventHandler<Subject>;
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

/** For a service without a database (expiration), whose handlers are idempotent by design. */
export function subscribeWithoutInbox<S extends Subject>(
  subject: S,
  handle: PlainEventHandler<S>,
): PlainSubscription {
  return { subject, inbox: false, handle: handle as unknown as PlainEventHandler<Subject> };
}
