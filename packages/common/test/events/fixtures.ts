import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  createDb,
  EventBus,
  type EventData,
  eventTablesMigration,
  migrate,
} from '../../src/index.js';
import {
  createTestDatabase,
  type TestDatabase,
  testEventNames,
  testInfra,
  testLogger,
} from '../../src/testing/index.js';

/** A database with the event tables, and a bus on a stream of this test's own. */
export async function createEventsFixture(natsUrl = testInfra.natsUrl) {
  const database: TestDatabase = await createTestDatabase('events');
  const db: Kysely<unknown> = createDb(database.url, { max: 5 });
  await migrate(db, { '0000_event_tables': eventTablesMigration });
  const names = testEventNames();
  const bus = await EventBus.connect({
    url: natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'events-test',
    logger: testLogger,
  });
  await bus.ensureStreams();
  return {
    database,
    db,
    bus,
    async close() {
      await bus.jsm.streams.delete(bus.stream).catch(() => {});
      await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
      await bus.close();
      await db.destroy();
      await database.drop();
    },
  };
}

export function ticketCreated(overrides: Partial<EventData<'ticket.created'>> = {}) {
  return {
    id: randomUUID(),
    version: 0,
    title: `Concert ${randomUUID().slice(0, 8)}`,
    price: 25.5,
    userId: randomUUID(),
    ...overrides,
  } satisfies EventData<'ticket.created'>;
}

/** Every message currently in a stream, oldest first. */
export async function streamMessages(bus: EventBus, stream = bus.stream) {
  const info = await bus.jsm.streams.info(stream);
  const messages = [];
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    const stored = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (stored)
      messages.push({
        subject: stored.subject,
        msgId: stored.header?.get('Nats-Msg-Id'),
        body: stored.json<Record<string, unknown>>(),
      });
  }
  return messages;
}
