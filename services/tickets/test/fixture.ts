import { randomUUID } from 'node:crypto';
import {
  createDb,
  createSessionVerifier,
  EventBus,
  type EventEnvelope,
  migrate,
  OutboxRelay,
  type ServiceApp,
  type Subject,
} from '@gittix/common';
import {
  createTestDatabase,
  createTestSessionKeys,
  testEventNames,
  testInfra,
  testLogger,
} from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { buildApp } from '../src/app.js';
import { migrations } from '../src/db/migrations.js';
import type { TicketsDatabase } from '../src/db/schema.js';
import type { Ticket } from '../src/tickets.js';

/**
 * Everything one test file needs: its own database, its own stream and subject
 * prefix, the app built as main.ts builds it, and a relay that tests drain.
 */
export async function createTicketsFixture() {
  const database = await createTestDatabase('tickets');
  const db = createDb<TicketsDatabase>(database.url, { max: 10 });
  await migrate(db as Kysely<unknown>, migrations);
  const names = testEventNames();
  const bus = await EventBus.connect({
    url: testInfra.natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'tickets-test',
    logger: testLogger,
  });
  await bus.ensureStreams();
  const keys = await createTestSessionKeys();
  const app: ServiceApp = await buildApp({
    db,
    bus,
    logger: testLogger,
    verifySession: createSessionVerifier({
      publicKeyPem: keys.publicKeyPem,
    }),
  });
  const relay = new OutboxRelay({
    db: db as Kysely<unknown>,
    databaseUrl: database.url,
    bus,
    logger: testLogger,
  });

  /** A signed-in user: its id and the cookie header that proves it. */
  async function user(id: string = randomUUID()) {
    const token = await keys.sign({ id, email: `${id.slice(0, 8)}@example.test` });
    return { id, headers: { cookie: `session=${token}` } };
  }
  type User = Awaited<ReturnType<typeof user>>;

  /** Lists a ticket through the API, as `seller`. */
  async function listTicket(
    seller: User,
    body: { title?: string; price?: number } = {},
  ): Promise<Ticket> {
    const response = await app.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: seller.headers,
      payload: { title: `Concert ${randomUUID().slice(0, 8)}`, price: 25, ...body },
    });
    if (response.statusCode !== 201) throw new Error(`listing failed: ${response.body}`);
    return response.json();
  }

  /** Events of `subject` in the test stream (after the relay published the outbox). */
  async function publishedEvents<S extends Subject>(subject: S): Promise<EventEnvelope<S>[]> {
    await relay.drain();
    return streamMessages(bus, bus.stream, bus.subjectOf(subject)) as Promise<EventEnvelope<S>[]>;
  }

  return {
    database,
    db,
    bus,
    app,
    relay,
    user,
    listTicket,
    publishedEvents,
    async close() {
      await app.close();
      await relay.stop();
      await bus.jsm.streams.delete(bus.stream).catch(() => {});
      await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
      await bus.close();
      await db.destroy();
      await database.drop();
    },
  };
}

export type TicketsFixture = Awaited<ReturnType<typeof createTicketsFixture>>;

/** Every message body in a stream (optionally of one subject), oldest first. */
export async function streamMessages(
  bus: EventBus,
  stream: string,
  subject?: string,
): Promise<unknown[]> {
  const info = await bus.jsm.streams.info(stream);
  const bodies: unknown[] = [];
  if (info.state.messages === 0) return bodies;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (stored && (subject === undefined || stored.subject === subject)) bodies.push(stored.json());
  }
  return bodies;
}
