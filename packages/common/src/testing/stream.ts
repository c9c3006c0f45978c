import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import type { EventBus } from '../events/bus.js';
import type { EventEnvelope, Subject } from '../events/contracts.js';

export interface StoredMessage<Body = unknown> {
  subject: string;
  msgId: string | undefined;
  body: Body;
}

/**
 * The messages stored in `stream` from sequence `fromSeq` to `toSeq` (its last one when
 * omitted), oldest first, read one by one as they are now.
 */
export async function* storedMessages(
  jsm: JetStreamManager,
  stream: string,
  fromSeq: number,
  toSeq?: number,
): AsyncGenerator<StoredMsg> {
  const last = toSeq ?? (await jsm.streams.info(stream)).state.last_seq;
  for (let seq = fromSeq; seq <= last; seq++) {
    // A gap (a deleted message) answers "no message found": skip it.
    const stored = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (stored) yield stored;
  }
}

/** Every message in a stream (the bus's own by default), oldest first; optionally one NATS subject's. */
export async function streamMessages<Body = unknown>(
  bus: EventBus,
  { stream = bus.stream, subject }: { stream?: string; subject?: string } = {},
): Promise<StoredMessage<Body>[]> {
  const info = await bus.jsm.streams.info(stream);
  const messages: StoredMessage<Body>[] = [];
  if (info.state.messages === 0) return messages;
  const { first_seq, last_seq } = info.state;
  for await (const stored of storedMessages(bus.jsm, stream, first_seq, last_seq)) {
    if (subject !== undefined && stored.subject !== subject) continue;
    messages.push({
      subject: stored.subject,
      msgId: stored.header?.get('Nats-Msg-Id'),
      body: stored.json<Body>(),
    });
  }
  return messages;
}

/** Every event of `subject` in the bus's stream, oldest first. */
export async function publishedEvents<S extends Subject>(
  bus: EventBus,
  subject: S,
): Promise<EventEnvelope<S>[]> {
  const messages = await streamMessages<EventEnvelope<S>>(bus, { subject: bus.subjectOf(subject) });
  return messages.map((message) => message.body);
}
