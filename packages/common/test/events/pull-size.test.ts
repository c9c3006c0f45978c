import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, EventConsumers, subscribeBatch } from '../../src/index.js';
import {
  type NatsProxy,
  startNatsProxy,
  testInfra,
  testLogger,
  ticketCreatedData,
  waitFor,
} from '../../src/testing/index.js';
import { createEventsFixture } from './fixtures.js';

describe('pulling a burst for a batch subscription (bench/bottlenecks.md §19)', () => {
  let proxy: NatsProxy;
  let fixture: Awaited<ReturnType<typeof createEventsFixture>>;

  beforeAll(async () => {
    proxy = await startNatsProxy(new URL(testInfra.natsUrl.split(',')[0]!));
    fixture = await createEventsFixture(proxy.url);
    await sql`CREATE TABLE applied (event_id uuid)`.execute(fixture.db);
  });
  afterAll(async () => {
    await fixture?.close();
    proxy?.close();
  });

  it('when a burst is queued, then it is pulled as many at a time as the slots batch, not 16', async () => {
    const events = 600;
    await Promise.all(
      Array.from({ length: events }, () =>
        fixture.bus.publish(createEnvelope('ticket.created', ticketCreatedData(), randomUUID())),
      ),
    );
    const consumers = new EventConsumers({
      bus: fixture.bus,
      service: `svc${randomUUID().slice(0, 8)}`,
      db: fixture.db,
      logger: testLogger,
      concurrency: 2,
      subscriptions: [
        subscribeBatch(
          'ticket.created',
          async (trx, batch) => {
            for (const event of batch) {
              await sql`INSERT INTO applied VALUES (${event.id})`.execute(trx);
            }
          },
          { maxEvents: 100 },
        ),
      ],
    });
    const before = await proxy.pulls();
    try {
      await consumers.start();
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM applied`.execute(fixture.db);
          return rows[0]!.n === events;
        },
        { timeoutMs: 20_000, message: 'every event applied' },
      );
    } finally {
      await consumers.stop();
    }
    // Asking for 16 at a time, 600 events took 151 pull requests here, each a round
    // trip; asking for 200 (the two slots' batches), 13.
    const pulls = (await proxy.pulls()) - before;
    expect(pulls).toBeGreaterThan(0);
    expect(pulls).toBeLessThan(events / 24);
  });
});
