import type { DeadLetterRecord, EventBus } from '@gittix/common';
import { type ConsumerInfo, DeliverPolicy } from '@nats-io/jetstream';

/** One message of the events stream as the broker holds it. */
export interface StreamMessage {
  seq: number;
  /** The subject without the prefix, e.g. `order.created`. */
  subject: string;
  /** The `Nats-Msg-Id` header (what the broker de-duplicates on). */
  msgId: string;
  envelope: { id: string; type: string; data: Record<string, unknown> };
}

/** A dead-letter record with the id of the event it gave up on, when it had one. */
export interface DeadLetter extends DeadLetterRecord {
  eventId: string | undefined;
}

/** Reads every message of a stream, oldest first, through a throwaway ordered consumer. */
async function readAll<T>(
  bus: EventBus,
  stream: string,
  map: (message: { seq: number; subject: string; msgId: string; text: string }) => T,
): Promise<T[]> {
  const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const out: T[] = [];
  try {
    let remaining = (await consumer.info()).num_pending;
    while (remaining > 0) {
      const batch = await consumer.fetch({
        max_messages: Math.min(remaining, 512),
        expires: 5_000,
      });
      let got = 0;
      for await (const message of batch) {
        got++;
        out.push(
          map({
            seq: message.seq,
            subject: message.subject,
            msgId: message.headers?.get('Nats-Msg-Id') ?? '',
            text: message.string(),
          }),
        );
        remaining = message.info.pending;
      }
      if (got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
  return out;
}

export function readEvents(bus: EventBus): Promise<StreamMessage[]> {
  const prefix = `${bus.options.subjectPrefix}.`;
  return readAll(bus, bus.stream, ({ seq, subject, msgId, text }) => ({
    seq,
    subject: subject.startsWith(prefix) ? subject.slice(prefix.length) : subject,
    msgId,
    envelope: JSON.parse(text),
  }));
}

export function readDeadLetters(bus: EventBus): Promise<DeadLetter[]> {
  return readAll(bus, bus.deadLetterStream, ({ text }) => {
    const record = JSON.parse(text) as DeadLetterRecord;
    let eventId: string | undefined;
    try {
      eventId = (JSON.parse(record.payload) as { id?: string }).id;
    } catch {
      eventId = undefined;
    }
    return { ...record, eventId };
  });
}

/** The services' durable consumers on the events stream, with their lag. */
export async function durableConsumers(bus: EventBus): Promise<ConsumerInfo[]> {
  const infos: ConsumerInfo[] = [];
  for await (const info of bus.jsm.consumers.list(bus.stream)) {
    if (info.config.durable_name) infos.push(info);
  }
  return infos;
}
