/**
 * Reproduction: an event delivered while Postgres is down is dead-lettered
 * within about two seconds and never handled, although nothing is wrong with it
 * — found by the chaos run (order.created dead-lettered by tickets during a 10 s
 * outage left paid orders whose ticket is not reserved).
 *
 *   npx tsx --conditions=@gittix/source bench/chaos/repro/outage-dead-letters.ts
 *
 * A consumer built like the services' (EventConsumers + subscribe, through the
 * inbox, default 5 deliveries) on a private Postgres and nats-server; Postgres
 * is stopped, one valid order.cancelled is published, Postgres comes back 5 s
 * later. Expected: the event is handled once the database is back (its id in
 * the inbox), no dead letter. Prints REPRODUCED when it was dead-lettered instead.
 */
import { randomUUID } from 'node:crypto';
import {
  createDb,
  createEnvelope,
  EventBus,
  EventConsumers,
  ensureDatabase,
  eventTablesMigration,
  migrate,
  subscribe,
} from '@gittix/common';
import { testLogger, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { startPrivateInfra } from '../infra.js';
import { readDeadLetters } from '../stream.js';

const infra = await startPrivateInfra(() => {});
let code = 1;
try {
  const url = `${infra.postgres.url}/repro`;
  await ensureDatabase(url);
  const db = createDb(url);
  await migrate(db, { '0000_event_tables': eventTablesMigration });
  const bus = await EventBus.connect({
    url: infra.nats.url,
    stream: 'REPRO',
    subjectPrefix: 'repro',
    name: 'repro',
    logger: testLogger,
  });
  await bus.ensureStreams();
  const consumers = new EventConsumers({
    bus,
    service: 'repro',
    db,
    subscriptions: [subscribe('order.cancelled', async () => {})],
    logger: testLogger,
  });
  await consumers.start();

  await infra.postgres.stop();
  const event = createEnvelope(
    'order.cancelled',
    { id: randomUUID(), version: 1, ticket: { id: randomUUID() } },
    randomUUID(),
  );
  await bus.publish(event);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  await infra.postgres.start();

  const handled = await waitFor(
    async () => {
      const { rows } = await sql`SELECT 1 FROM inbox WHERE event_id = ${event.id}`.execute(db);
      return rows.length > 0;
    },
    { timeoutMs: 10_000 },
  ).catch(() => false);
  const deadLetters = await readDeadLetters(bus);
  process.stdout.write(
    `after a 5 s outage: handled ${handled}; dead letters ${deadLetters.length}` +
      `${deadLetters[0] ? ` (${deadLetters[0].deliveries} deliveries, "${deadLetters[0].error}")` : ''}\n`,
  );
  const reproduced = !handled && deadLetters.length > 0;
  process.stdout.write(
    reproduced ? 'REPRODUCED: a valid event was dead-lettered\n' : 'not reproduced\n',
  );
  code = reproduced ? 1 : 0;
  await consumers.stop();
  await bus.close();
  await db.destroy();
} finally {
  await infra.destroy();
}
process.exit(code);
