import { randomUUID } from 'node:crypto';
import { createEnvelope, EventBus, type EventData, type Subject } from '@gittix/common';
import { testEventNames, testInfra, testLogger } from '@gittix/common/testing';

export function ticketCreated(overrides: Partial<EventData<'ticket.created'>> = {}) {
  return {
    id: randomUUID(),
    version: 0,
    title: `Gig ${randomUUID().slice(0, 6)}`,
    price: 12.5,
    userId: randomUUID(),
    ...overrides,
  } satisfies EventData<'ticket.created'>;
}

/** Collects a command's lines. */
export function capture() {
  const lines: string[] = [];
  return {
    lines,
    out: { line: (text: string) => void lines.push(text) },
    text: () => lines.join('\n'),
  };
}

/** A bus on a stream and subject prefix of this test file's own. */
export async function createCliFixture() {
  const names = testEventNames();
  const bus = await EventBus.connect({
    url: testInfra.natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'events-cli-test',
    logger: testLogger,
  });
  await bus.ensureStreams();
  return {
    bus,
    async publish<S extends Subject>(subject: S, data: EventData<S>) {
      const envelope = createEnvelope(subject, data, randomUUID());
      await bus.publish(envelope);
      return envelope;
    },
    async close() {
      await bus.jsm.streams.delete(bus.stream).catch(() => {});
      await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
      await bus.close();
    },
  };
}

export type CliFixture = Awaited<ReturnType<typeof createCliFixture>>;
