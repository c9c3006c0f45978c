import { request } from 'node:http';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseConfigSchema,
  createServiceApp,
  defineService,
  enqueueEvent,
  env,
  eventTablesMigration,
  natsConfigSchema,
  outboxListenConfigSchema,
  outboxTraceContextMigration,
  postgres,
  subscribe,
} from '../../src/index.js';
import {
  createTestEnvironment,
  publishedEvents,
  startTestService,
  type TestEnvironment,
  ticketCreatedData,
  uniqueName,
  waitFor,
} from '../../src/testing/index.js';

/** A gate a test opens when it wants the work behind it to go on. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** GET on a fresh connection (no keep-alive), resolving to the status or the connection error. */
function getStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    request(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      .end();
  });
}

const timeline: string[] = [];
const handlerGate = gate();
const requestGate = gate();

/** A service with every part the runner stops: a consumer, HTTP, an outbox and two pools. */
const probeService = defineService({
  name: 'probe',
  configSchema: baseConfigSchema
    .extend(natsConfigSchema.shape)
    .extend(outboxListenConfigSchema.shape)
    .extend({
      PORT: env.port(0),
      DATABASE_URL: z.string(),
    }),
  needs: {
    database: postgres<unknown>({
      '0000_event_tables': eventTablesMigration,
      '0001_outbox_trace_context': outboxTraceContextMigration,
    }),
    events: {},
  },
  build: async ({ db, logger, readiness }) => {
    const app = await createServiceApp({ name: 'probe', logger, readiness });
    app.post('/slow', async () => {
      timeline.push('request started');
      await requestGate.opened;
      await db.transaction().execute((trx) => enqueueEvent(trx, 'ticket.created', lastWords));
      timeline.push('request finished');
      return { ok: true };
    });
    return {
      app,
      subscriptions: [
        subscribe('ticket.created', async () => {
          timeline.push('handler started');
          await handlerGate.opened;
          timeline.push('handler finished');
        }),
      ],
      alsoStop: [['probe extras', async () => timeline.push('extras stopped')]],
    };
  },
});
const lastWords = ticketCreatedData({ title: 'committed by the last request' });

describe('stopping a service (openService, as runService does on SIGTERM)', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(() => environment?.close());

  it('when stopped mid-work, then it stops consuming, finishes requests, flushes the outbox, then closes', async () => {
    const probe = await startTestService(probeService, { environment });
    await probe.startConsumers();
    const base = await probe.app.listen({ port: 0, host: '127.0.0.1' });
    const slow = fetch(`${base}/slow`, { method: 'POST' });
    await waitFor(() => timeline.includes('request started'), { message: 'the slow request' });
    await environment.publish('ticket.created', ticketCreatedData());
    await waitFor(() => timeline.includes('handler started'), { message: 'the handler' });

    const stopping = probe.stop();
    // Consumers stop first: HTTP still serves while the handler finishes.
    expect(await getStatus(`${base}/healthz`)).toBe(200);
    handlerGate.open();
    // Then HTTP closes to new requests, while the one in flight goes on.
    await waitFor(async () => (await getStatus(`${base}/healthz`)) === 'ECONNREFUSED', {
      message: 'HTTP closed to new requests',
    });
    expect(timeline).not.toContain('extras stopped');
    requestGate.open();
    expect((await slow).status).toBe(200);
    await stopping;

    expect(timeline).toEqual([
      'request started',
      'handler started',
      'handler finished',
      'request finished',
      'extras stopped',
    ]);
    // The outbox was flushed before the bus closed (the relay loop never ran here).
    const published = await publishedEvents(await environment.bus(), 'ticket.created');
    expect(published.map((event) => event.data)).toContainEqual(expect.objectContaining(lastWords));
    // The handled event was acked; the flushed one waits, as consuming had stopped.
    const bus = await environment.bus();
    const info = await bus.jsm.consumers.info(bus.stream, 'probe_ticket_created');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(1);
    // Both pools are closed.
    await expect(sql`SELECT 1`.execute(probe.db)).rejects.toThrow();
  });
});

describe('the outbox relay behind a transaction pooler (DATABASE_LISTEN_URL)', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(() => environment?.close());

  /** What the relay's LISTEN session (named by its application_name) is doing, if it is connected. */
  async function listenSessions(db: Kysely<unknown>, applicationName: string): Promise<string[]> {
    const { rows } = await sql<{ query: string }>`
      SELECT query FROM pg_stat_activity WHERE application_name = ${applicationName}`.execute(db);
    return rows.map((row) => row.query);
  }

  it('when DATABASE_LISTEN_URL is set, then the relay LISTENs on that connection, and on DATABASE_URL when it is not', async () => {
    const applicationName = uniqueName('listen');
    const listenUrl = new URL(environment.databaseUrl('probe'));
    listenUrl.searchParams.set('application_name', applicationName);
    const probe = await startTestService(probeService, {
      environment,
      env: { DATABASE_LISTEN_URL: listenUrl.toString() },
    });
    try {
      probe.relay.start();
      await waitFor(
        async () =>
          (await listenSessions(probe.db, applicationName)).some((q) => /^LISTEN /.test(q)),
        { message: 'the relay to LISTEN on DATABASE_LISTEN_URL' },
      );
    } finally {
      await probe.stop();
    }

    // Without it the relay LISTENs on DATABASE_URL, whose sessions carry no such name.
    const plain = await startTestService(probeService, { environment });
    try {
      expect(plain.config.DATABASE_LISTEN_URL).toBeUndefined();
      plain.relay.start();
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN %'`.execute(plain.db);
          return rows[0]!.n > 0;
        },
        { message: 'the relay to LISTEN on DATABASE_URL' },
      );
      expect(await listenSessions(plain.db, applicationName)).toEqual([]);
    } finally {
      await plain.stop();
    }
  });
});
