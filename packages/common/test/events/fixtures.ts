import {
  eventTablesMigration,
  openDatabase,
  outboxTraceContextMigration,
} from '../../src/index.js';
import { createTestEnvironment } from '../../src/testing/index.js';

/** A database with only the event tables, and the environment's bus on a stream of its own. */
export async function createEventsFixture(natsUrl?: string) {
  const environment = await createTestEnvironment(natsUrl ? { natsUrl } : {});
  const databaseUrl = environment.databaseUrl('events');
  const db = await openDatabase(
    databaseUrl,
    {
      '0000_event_tables': eventTablesMigration,
      '0001_outbox_trace_context': outboxTraceContextMigration,
    },
    { max: 5 },
  );
  const bus = await environment.bus();
  return {
    databaseUrl,
    db,
    bus,
    /** Both streams emptied: new durable consumers read the whole stream, so a test starts from none. */
    async emptyStreams() {
      await bus.jsm.streams.purge(bus.stream);
      await bus.jsm.streams.purge(bus.deadLetterStream);
    },
    async close() {
      await db.destroy();
      await environment.close();
    },
  };
}
