import type { DeadLetterRecord, EventBus } from '@gittix/common';
import { readStream } from '@gittix/events-cli/read-stream';
import type { ConsumerInfo } from '@nats-io/jetstream';

/** One message of the events stream as the broker holds it. */
export interface StreamMessage {
  seq: number;
  /** The subject without the prefix, e.g. `order.created`. */
  subject: string;
  /** The `Nats-Msg-Id` header (what the broker de-duplicates on). */
  msgId: string;
  envelope: {
    id: string;
    type: string;
    occurredAt?: string;
    causationId?: string;
    data: Record<string, unknown>;
  };
}

/** A dead-letter record with the id of the event it gave up on, when it had one. */
export interface DeadLetter extends DeadLetterRecord {
  eventId: string | undefined;
}

export async function readEvents(bus: EventBus): Promise<StreamMessage[]> {
  const prefix = `${bus.options.subjectPrefix}.`;
  return (await readStream(bus.js, bus.stream)).map((message) => ({
    seq: message.seq,
    subject: message.subject.startsWith(prefix)
      ? message.subject.slice(prefix.length)
      : message.subject,
    msgId: message.headers?.get('Nats-Msg-Id') ?? '',
    envelope: message.json(),
  }));
}

export async function readDeadLetters(bus: EventBus): Promise<DeadLetter[]> {
  return (await readStream(bus.js, bus.deadLetterStream)).map((message) => {
    const record = message.json<DeadLetterRecord>();
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
