import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseConfigSchema,
  ConfigError,
  consumersLag,
  createServiceApp,
  defineService,
  env,
  eventTablesMigration,
  eventTablesRetentionMs,
  inboxHandledAtIndexMigration,
  natsConfigSchema,
  openDatabase,
  postgres,
  pruneEventTables,
  subscribe,
} from '../../src/index.js';
import {
  createTestEnvironment,
  startTestService,
  type TestEnvironment,
  waitFor,
} from '../../src/testing/index.js';

const HOUR_MS = 3_600_000;

describe('event tables retention', () => {
  let environment: TestEnvironment;
  let db: Kysely<unknown>;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    db = await openDatabase(
      environment.databaseUrl('retention'),
      {
        '0000_event_tables': eventTablesMigration,
        '0001_inbox_handled_at': inboxHandledAtIndexMigration,
      },
      { max: 3 },
    );
  });
  afterAll(async () => {
    await db?.destroy();
    await environment?.close();
  });

  async function outboxRow(ageHours: number, sent: boolean) {
    const id = randomUUID();
    const at = new Date(Date.now() - ageHours * HOUR_MS);
    await sql`
      INSERT INTO outbox (id, subject, envelope, created_at, sent_at)
      VALUES (${id}, 'ticket.created', '{}'::jsonb, ${at}, ${sent ? at : null})`.execute(db);
    return id;
  }
  async function inboxRow(ageHours: number) {
    const id = randomUUID();
    await sql`
      INSERT INTO inbox (consumer, event_id, handled_at)
      VALUES ('probe_ticket_created', ${id}, ${new Date(Date.now() - ageHours * HOUR_MS)})`.execute(
      db,
    );
    return id;
  }
  const outboxIds = async () =>
    (await sql<{ id: string }>`SELECT id FROM outbox`.execute(db)).rows.map((r) => r.id);
  const inboxIds = async () =>
    (await sql<{ event_id: string }>`SELECT event_id FROM inbox`.execute(db)).rows.map(
      (r) => r.event_id,
    );

  it('when rows are older than the retention, then sent outbox rows and inbox rows go, unsent and recent ones stay', async () => {
    const oldSent = await Promise.all(Array.from({ length: 7 }, () => outboxRow(200, true)));
    const oldUnsent = await outboxRow(200, false);
    const recentSent = await outboxRow(1, true);
    const oldHandled = await Promise.all(Array.from({ length: 7 }, () => inboxRow(200)));
    const recentHandled = await inboxRow(100);

    // A small batch size: the pruning goes on until nothing old is left.
    const pruned = await pruneEventTables(db, { retentionMs: 168 * HOUR_MS, batchSize: 3 });
    expect(pruned).toEqual({ outbox: 7, inbox: 7 });
    const outbox = await outboxIds();
    expect(outbox.sort()).toEqual([oldUnsent, recentSent].sort());
    for (const id of oldSent) expect(outbox).not.toContain(id);
    const inbox = await inboxIds();
    expect(inbox).toEqual([recentHandled]);
    for (const id of oldHandled) expect(inbox).not.toContain(id);
  });

  it('when the retention is not longer than the stream keeps events, then it is a configuration error', () => {
    expect(() =>
      eventTablesRetentionMs({ EVENT_TABLES_RETENTION_HOURS: 96, NATS_STREAM_MAX_AGE_HOURS: 96 }),
    ).toThrow(ConfigError);
    expect(() =>
      eventTablesRetentionMs({ EVENT_TABLES_RETENTION_HOURS: 24, NATS_STREAM_MAX_AGE_HOURS: 96 }),
    ).toThrow(/EVENT_TABLES_RETENTION_HOURS/);
    expect(
      eventTablesRetentionMs({ EVENT_TABLES_RETENTION_HOURS: 97, NATS_STREAM_MAX_AGE_HOURS: 96 }),
    ).toBe(97 * HOUR_MS);
  });
});

/** A service consuming ticket.created, whose handler waits until the test lets it go. */
let release = () => {};
const held = new Promise<void>((resolve) => {
  release = resolve;
});
const laggingService = defineService({
  name: 'lagging',
  configSchema: baseConfigSchema.extend(natsConfigSchema.shape).extend({
    PORT: env.port(0),
    DATABASE_URL: z.string(),
  }),
  needs: { database: postgres<unknown>({ '0000_event_tables': eventTablesMigration }), events: {} },
  build: async ({ logger, readiness }) => ({
    app: await createServiceApp({ name: 'lagging', logger, readiness }),
    subscriptions: [subscribe('ticket.created', () => held)],
  }),
});

describe('stream retention and consumer lag', () => {
  it('when the configured stream max age is set, then the stream keeps events that long', async () => {
    const environment = await createTestEnvironment();
    const service = await startTestService(laggingService, {
      environment,
      env: { NATS_STREAM_MAX_AGE_HOURS: '72', EVENT_TABLES_RETENTION_HOURS: '80' },
    });
    try {
      const info = await service.bus.jsm.streams.info(service.bus.stream);
      expect(info.config.max_age).toBe(72 * HOUR_MS * 1e6);
    } finally {
      await service.close();
      await environment.close();
    }
  });

  it('when the retention is shorter than the stream max age, then the service does not open', async () => {
    const environment = await createTestEnvironment();
    try {
      await expect(
        startTestService(laggingService, {
          environment,
          env: { NATS_STREAM_MAX_AGE_HOURS: '96', EVENT_TABLES_RETENTION_HOURS: '48' },
        }),
      ).rejects.toThrow(/EVENT_TABLES_RETENTION_HOURS/);
    } finally {
      await environment.close();
    }
  });

  it('when a consumer falls behind, then /metrics shows its lag and the age of its oldest unacknowledged event', async () => {
    const environment = await createTestEnvironment();
    const service = await startTestService(laggingService, { environment });
    try {
      await service.startConsumers();
      const data = (n: number) => ({
        id: randomUUID(),
        version: 0,
        title: `t${n}`,
        price: 1,
        userId: randomUUID(),
      });
      for (let n = 0; n < 3; n += 1) await service.publish('ticket.created', data(n));
      const metric = async () => {
        const response = await service.app.inject({ url: '/metrics' });
        return response.body;
      };
      const text = await waitFor(
        async () => {
          const body = await metric();
          return /gittix_consumer_lag_messages\{[^}]*consumer="lagging_ticket_created"[^}]*\} 3/.test(
            body,
          )
            ? body
            : undefined;
        },
        { message: 'lag of 3 in /metrics' },
      );
      const age = text.match(
        /gittix_consumer_oldest_unacked_age_seconds\{[^}]*consumer="lagging_ticket_created"[^}]*\} ([\d.e+-]+)/,
      );
      expect(Number(age?.[1])).toBeGreaterThanOrEqual(0);
      expect(text).toMatch(/gittix_stream_max_age_seconds\{[^}]*\} 345600/);
      const [lag] = await consumersLag(service.bus, ['lagging_ticket_created']);
      expect(lag).toMatchObject({ consumer: 'lagging_ticket_created', lag: 3 });
      expect(lag!.oldestUnackedAgeSeconds).not.toBeNull();
    } finally {
      release();
      await service.close();
      await environment.close();
    }
  });
});
