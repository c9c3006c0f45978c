import type { EventBus } from '@gittix/common';
import { DeliverPolicy, type JsMsg, type OrderedConsumerOptions } from '@nats-io/jetstream';
import { CliError, clip, type Output } from '../output.js';

export interface TailOptions {
  /** A subject under the prefix (`ticket.created`, `order.*`, `ticket.>`); all events if omitted. */
  subject?: string | undefined;
  /** Print the whole stream first. */
  fromStart?: boolean | undefined;
  /** Print the last N matching events first. */
  last?: number | undefined;
  /** Stops tailing (Ctrl-C in the CLI). */
  signal?: AbortSignal | undefined;
}

const SUBJECT_PATTERN = /^([A-Za-z0-9_-]+|\*)(\.([A-Za-z0-9_-]+|\*))*(\.>)?$|^>$/;

/** `2025-01-01T10:00:00.000Z #12 ticket.created <event id> {"id":…}` */
export function formatEvent(message: JsMsg, prefix: string): string {
  const subject = message.subject.startsWith(`${prefix}.`)
    ? message.subject.slice(prefix.length + 1)
    : message.subject;
  const stored = new Date(Math.floor(message.info.timestampNanos / 1e6)).toISOString();
  try {
    const event = message.json<{ id?: unknown; occurredAt?: unknown; data?: unknown }>();
    if (typeof event.id === 'string' && event.data !== undefined) {
      const time = typeof event.occurredAt === 'string' ? event.occurredAt : stored;
      return `${time} #${message.seq} ${subject} ${event.id} ${JSON.stringify(event.data)}`;
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
  if (options.signal?.aborted) return;
  const prefix = bus.options.subjectPrefix;
  const filter = `${prefix}.${subject}`;
  const consumerOptions: Partial<OrderedConsumerOptions> = { filter_subjects: filter };
  // With --last and a filter, pending counts only matching messages still to come.
  let skipWhilePendingAtLeast: number | undefined;
  if (options.fromStart) {
    consumerOptions.deliver_policy = DeliverPolicy.All;
  } else if (options.last !== undefined && subject === '>') {
    const { state } = await bus.jsm.streams.info(bus.stream);
    consumerOptions.deliver_policy = DeliverPolicy.StartSequence;
    consumerOptions.opt_start_seq = Math.max(state.first_seq, state.last_seq - options.last + 1, 1);
  } else if (options.last !== undefined) {
    consumerOptions.deliver_policy = DeliverPolicy.All;
    skipWhilePendingAtLeast = options.last;
  } else {
    consumerOptions.deliver_policy = DeliverPolicy.New;
  }

  const consumer = await bus.js.consumers.get(bus.stream, consumerOptions);
  const messages = await consumer.consume();
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
      out.line(formatEvent(message, prefix));
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await consumer.delete().catch(() => {});
  }
}
