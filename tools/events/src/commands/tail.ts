import { type EventBus, FOLLOWING_CONSUME } from '@gittix/common';
import {
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiError,
  type JsMsg,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import { CliError, clip, type Output, payloadText } from '../output.js';
import { requireStream } from '../require-stream.js';

export interface TailOptions {
  /** A subject under the prefix (`ticket.created`, `order.*`, `ticket.>`); all events if omitted. */
  subject?: string | undefined;
  /** Print the whole stream first. */
  fromStart?: boolean | undefined;
  /** Print the last N matching events first. */
  last?: number | undefined;
  /** Only events of this trace (the 32 hex digits of their `traceparent` header). */
  trace?: string | undefined;
  /** Stops tailing (Ctrl-C in the CLI). */
  signal?: AbortSignal | undefined;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/** The trace id of the message's W3C `traceparent` header, if it has one. */
export function traceIdOf(message: JsMsg): string | undefined {
  const traceparent = message.headers?.get('traceparent');
  const traceId = traceparent?.split('-')[1];
  return traceId && TRACE_ID.test(traceId) ? traceId : undefined;
}

/** ` trace=… correlation=… causation=…`, each only when the message carries it. */
function linksOf(message: JsMsg, event: { correlationId?: unknown; causationId?: unknown }) {
  const traceId = traceIdOf(message);
  return [
    traceId ? ` trace=${traceId}` : '',
    typeof event.correlationId === 'string' ? ` correlation=${event.correlationId}` : '',
    typeof event.causationId === 'string' ? ` causation=${event.causationId}` : '',
  ].join('');
}

/** JetStream's answer to a filter outside the stream's subjects (`foo.bar`, `*.created`). */
const FILTER_NOT_IN_STREAM = 10093;

const SUBJECT_PATTERN = /^([A-Za-z0-9_-]+|\*)(\.([A-Za-z0-9_-]+|\*))*(\.>)?$|^>$/;

/**
 * `2025-01-01T10:00:00.000Z #12 ticket.created <event id> {"id":…}`, then
 * ` trace=<id> correlation=<id> causation=<event id>` for what the event carries.
 */
export function formatEvent(message: JsMsg, prefix: string): string {
  const subject = message.subject.startsWith(`${prefix}.`)
    ? message.subject.slice(prefix.length + 1)
    : message.subject;
  const stored = new Date(Math.floor(message.info.timestampNanos / 1e6)).toISOString();
  try {
    const event = message.json<{
      id?: unknown;
      occurredAt?: unknown;
      data?: unknown;
      correlationId?: unknown;
      causationId?: unknown;
    }>();
    if (typeof event.id === 'string' && event.data !== undefined) {
      const time = typeof event.occurredAt === 'string' ? event.occurredAt : stored;
      const line = `${time} #${message.seq} ${subject} ${event.id} ${payloadText(event.data)}`;
      return `${line}${linksOf(message, event)}`;
    }
  } catch {
    // Not JSON: shown raw below.
  }
  return `${stored} #${message.seq} ${subject} (not an event) ${clip(message.string(), 200)}`;
}

/**
 * Prints events as they arrive, one per line, through an ordered consumer: an
 * ephemeral, unacknowledged reader that leaves no durable state behind.
 * Resolves when `signal` aborts.
 */
export async function tailCommand(bus: EventBus, out: Output, options: TailOptions = {}) {
  const subject = options.subject ?? '>';
  if (!SUBJECT_PATTERN.test(subject)) {
    throw new CliError(`"${subject}" is not a subject (e.g. ticket.created, order.*, ticket.>)`);
  }
  if (options.trace !== undefined && !TRACE_ID.test(options.trace)) {
    throw new CliError(`"${options.trace}" is not a trace id (32 lowercase hex digits)`);
  }
  if (options.signal?.aborted) return;
  const {
    state,
    config: { subjects: streamSubjects },
  } = await requireStream(bus, bus.stream);
  const prefix = bus.options.subjectPrefix;
  const filter = `${prefix}.${subject}`;
  const consumerOptions: Partial<OrderedConsumerOptions> = { filter_subjects: filter };
  // With --last and a filter, pending counts only matching messages still to come.
  let skipWhilePendingAtLeast: number | undefined;
  if (options.fromStart) {
    consumerOptions.deliver_policy = DeliverPolicy.All;
  } else if (options.last === 0) {
    // Nothing earlier: pending would be ≥ 0 for every message, new ones included.
    consumerOptions.deliver_policy = DeliverPolicy.New;
  } else if (options.last !== undefined && subject === '>') {
    consumerOptions.deliver_policy = DeliverPolicy.StartSequence;
    consumerOptions.opt_start_seq = Math.max(state.first_seq, state.last_seq - options.last + 1, 1);
  } else if (options.last !== undefined) {
    consumerOptions.deliver_policy = DeliverPolicy.All;
    skipWhilePendingAtLeast = options.last;
  } else {
    consumerOptions.deliver_policy = DeliverPolicy.New;
  }

  let consumer: Consumer | undefined;
  let messages: ConsumerMessages;
  try {
    consumer = await bus.js.consumers.get(bus.stream, consumerOptions);
    // A lost pull request leaves the tail silent 4-6 s, not 30.
    messages = await consumer.consume(FOLLOWING_CONSUME);
  } catch (error) {
    await consumer?.delete().catch(() => {});
    if (error instanceof JetStreamApiError && error.code === FILTER_NOT_IN_STREAM) {
      const relative = streamSubjects.map((s) => s.replace(`${prefix}.`, ''));
      throw new CliError(
        `"${subject}" matches no subject of stream ${bus.stream} (${relative.join(', ')}): ` +
          'a subject starts with its family, e.g. ticket.created, order.*, ticket.>',
      );
    }
    throw error;
  }
  const stop = () => void messages.close();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const message of messages) {
      if (
        skipWhilePendingAtLeast !== undefined &&
        message.info.pending >= skipWhilePendingAtLeast
      ) {
        continue;
      }
      if (options.trace && traceIdOf(message) !== options.trace) continue;
      out.line(formatEvent(message, prefix));
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await consumer.delete().catch(() => {});
  }
}
