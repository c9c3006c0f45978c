import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEnvelope,
  enqueueEnvelopes,
  enqueueEvent,
  OutboxRelay,
  RELAY_LOCK_KEY,
} from '../../src/index.js';
import {
  type PrivateNatsServer,
  startPrivateNatsServer,
  streamMessages,
  testLogger,
  ticketCreatedData,
  waitFor,
} from '../../src/testing/index.js';
import { createEventsFixture } from './fixtures.js';

type Fixture = Awaited<ReturnType<typeof createEventsFixture>>;

async function pendingCount(fixture: Fixture): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`.execute(fixture.db);
  return rows[0]!.n;
}

describe('outbox relay', () => {
  let fixture: Fixture;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    fixture = await createEventsFixture();
  });
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
    await fixture.bus.jsm.streams.purge(fixture.bus.stream);
    await sql`TRUNCATE outbox`.execute(fixture.db);
  });
  afterAll(() => fixture.close());

  function startRelay(overrides: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
    relay = new OutboxRelay({
      db: fixture.db,
      databaseUrl: fixture.databaseUrl,
      bus: fixture.bus,
      logger: testLogger,
      pollIntervalMs: 60_000, // only a NOTIFY can wake it within the test's deadline
      ...overrides,
    });
    relay.start();
    return relay;
  }

  it('when a batch handler records many events at once, then each is one row, in their order, published in that order', async () => {
    startRelay();
    const envelopes = Array.from({ length: 150 }, (_, n) =>
      n % 3 === 0
        ? createEnvelope(
            'order.cancelled',
            { id: randomUUID(), version: n + 1, ticket: { id: randomUUID() } },
            randomUUID(),
          )
        : createEnvelope(
            'ticket.created',
            ticketCreatedData({ title: `Row "${n}" \\ ✓` }),
            randomUUID(),
          ),
    );
    await fixture.db.transaction().execute((trx) => enqueueEnvelopes(trx, envelopes));
    const { rows } = await sql<{ id: string; subject: string; envelope: unknown }>`
      SELECT id, subject, envelope FROM outbox ORDER BY seq`.execute(fixture.db);
    expect(rows).toEqual(
      envelopes.map((envelope) => ({ id: envelope.id, subject: envelope.type, envelope })),
    );
    const messages = await waitFor(
      async () => {
        const found = await streamMessages(fixture.bus);
        return found.length === envelopes.length && found;
      },
      { timeoutMs: 5_000, message: 'every event in the stream' },
    );
    expect(messages.map((message) => message.msgId)).toEqual(envelopes.map((e) => e.id));
  });

  it('when a transaction commits an event, then the relay publishes it promptly with Nats-Msg-Id = event id', async () => {
    startRelay();
    const data = ticketCreatedData();
    const envelope = await fixture.db
      .transaction()
      .execute((trx) => enqueueEvent(trx, 'ticket.created', data));
    const messages = await waitFor(
      async () => {
        const found = await streamMessages(fixture.bus);
        return found.length === 1 && found;
      },
      { timeoutMs: 3_000, message: 'the event in the stream' },
    );
    expect(messages[0]).toMatchObject({
      subject: fixture.bus.subjectOf('ticket.created'),
      msgId: envelope.id,
      body: { id: envelope.id, type: 'ticket.created', data },
    });
    await waitFor(async () => (await pendingCount(fixture)) === 0, { message: 'row marked sent' });
  });

  it('when a transaction rolls back, then its event is never published', async () => {
    startRelay();
    await expect(
      fixture.db.transaction().execute(async (trx) => {
        await enqueueEvent(trx, 'ticket.created', ticketCreatedData());
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const marker = await fixture.db
      .transaction()
      .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData()));
    const messages = await waitFor(
      async () => {
        const found = await streamMessages(fixture.bus);
        return found.length >= 1 && found;
      },
      { message: 'the committed event' },
    );
    expect(messages.map((m) => m.msgId)).toEqual([marker.id]);
  });

  it('when many events commit, then they are published in commit order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const e = await fixture.db
        .transaction()
        .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData({ version: i })));
      ids.push(e.id);
    }
    startRelay({ batchSize: 7 });
    const messages = await waitFor(
      async () => {
        const found = await streamMessages(fixture.bus);
        return found.length === 30 && found;
      },
      { message: '30 events' },
    );
    expect(messages.map((m) => m.msgId)).toEqual(ids);
  });

  it('when the process dies after publishing but before marking sent, then the republish is de-duplicated', async () => {
    const envelope = await fixture.db
      .transaction()
      .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData()));
    // The crash: the event reached JetStream, the row still says pending.
    await fixture.bus.publish(envelope);
    expect(await pendingCount(fixture)).toBe(1);
    startRelay();
    await waitFor(async () => (await pendingCount(fixture)) === 0, { message: 'row marked sent' });
    const messages = await streamMessages(fixture.bus);
    expect(messages.map((m) => m.msgId)).toEqual([envelope.id]);
  });

  it('when the process dies after commit and before publishing, then a new relay publishes the row', async () => {
    const envelope = await fixture.db
      .transaction()
      .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData()));
    // No relay was running at commit time: the NOTIFY went nowhere.
    startRelay();
    const messages = await waitFor(
      async () => {
        const found = await streamMessages(fixture.bus);
        return found.length === 1 && found;
      },
      { message: 'the event after restart' },
    );
    expect(messages[0]!.msgId).toBe(envelope.id);
  });

  it('when two relays run on one database, then each event is published once and in order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const e = await fixture.db
        .transaction()
        .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData({ version: i })));
      ids.push(e.id);
    }
    startRelay({ batchSize: 3 });
    const second = new OutboxRelay({
      db: fixture.db,
      databaseUrl: fixture.databaseUrl,
      bus: fixture.bus,
      logger: testLogger,
      batchSize: 3,
    });
    second.start();
    try {
      await waitFor(async () => (await pendingCount(fixture)) === 0, { message: 'all sent' });
    } finally {
      await second.stop();
    }
    const messages = await streamMessages(fixture.bus);
    expect(messages.map((m) => m.msgId)).toEqual(ids);
  });

  it('when another relay is mid-batch, then drain waits for it and returns with every earlier row in the stream', async () => {
    const envelope = await fixture.db
      .transaction()
      .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData()));
    // Another relay's batch in flight: it holds the lock and has not committed yet.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const otherBatch = fixture.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${RELAY_LOCK_KEY})`.execute(trx);
      locked();
      await released;
    });
    await lockTaken;
    const draining = new OutboxRelay({
      db: fixture.db,
      databaseUrl: fixture.databaseUrl,
      bus: fixture.bus,
      logger: testLogger,
    }).drain();
    let settled = false;
    void draining.finally(() => (settled = true)).catch(() => {});
    // Drain queues behind the other batch (a lock request not yet granted) and
    // does not return meanwhile; the moment that batch commits, drain publishes.
    await waitFor(
      async () => {
        if (settled) return true;
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted AND database =
            (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(fixture.db);
        return rows[0]!.n > 0;
      },
      { message: 'drain waiting for the lock' },
    );
    expect(settled).toBe(false);
    release();
    await otherBatch;
    expect(await draining).toBe(1);
    expect((await streamMessages(fixture.bus)).map((m) => m.msgId)).toEqual([envelope.id]);
  });
});

describe('outbox relay while NATS is down', () => {
  let nats: PrivateNatsServer;
  let fixture: Fixture;

  beforeAll(async () => {
    nats = await startPrivateNatsServer();
    fixture = await createEventsFixture(nats.url);
  });
  afterAll(async () => {
    await fixture.close();
    await nats.destroy();
  });

  it('when NATS stops and comes back, then events committed meanwhile are all published', async () => {
    const relay = new OutboxRelay({
      db: fixture.db,
      databaseUrl: fixture.databaseUrl,
      bus: fixture.bus,
      logger: testLogger,
      maxBackoffMs: 200,
    });
    relay.start();
    try {
      const before = await fixture.db
        .transaction()
        .execute((trx) => enqueueEvent(trx, 'ticket.created', ticketCreatedData()));
      await waitFor(async () => (await pendingCount(fixture)) === 0, {
        message: 'first event sent',
      });

      await nats.stop();
      const during = [];
      for (let i = 0; i < 5; i++) {
        during.push(
          await fixture.db
            .transaction()
            .execute((trx) =>
              enqueueEvent(trx, 'ticket.created', ticketCreatedData({ version: i })),
            ),
        );
      }
      expect(await pendingCount(fixture)).toBe(5);

      await nats.start();
      await waitFor(async () => (await pendingCount(fixture)) === 0, {
        timeoutMs: 20_000,
        message: 'backlog sent after NATS returned',
      });
      const messages = await streamMessages(fixture.bus);
      expect(messages.map((m) => m.msgId)).toEqual([before.id, ...during.map((e) => e.id)]);
    } finally {
      await relay.stop();
    }
  });
});
