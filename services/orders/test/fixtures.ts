import { randomUUID } from 'node:crypto';
import {
  createDb,
  createEnvelope,
  createSessionVerifier,
  EventBus,
  EventConsumers,
  type EventData,
  type EventEnvelope,
  migrate,
  OutboxRelay,
  type SessionUser,
  type Subject,
  toCents,
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
import type { OrdersDatabase } from '../src/db/schema.js';
import { ordersSubscriptions } from '../src/events/subscriptions.js';
import type { Order } from '../src/orders.js';

export interface OrdersFixtureOptions {
  orderExpirationSeconds?: number;
}

/**
 * The orders service on a database, stream and signing key of its own: the app
 * (for inject), its outbox relay (not started: tests drain it) and consumers
 * that tests start when they need them.
 */
export async function createOrdersFixture(options: OrdersFixtureOptions = {}) {
  const database = await createTestDatabase('orders');
  const db = createDb<OrdersDatabase>(database.url, { max: 10 });
  await migrate(db as Kysely<unknown>, migrations);
  const names = testEventNames();
  const bus = await EventBus.connect({
    url: testInfra.natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'orders-test',
    logger: testLogger,
  });
  await bus.ensureStreams();
  const keys = await createTestSessionKeys();
  const app = await buildApp({
    db,
    bus,
    logger: testLogger,
    verifySession: createSessionVerifier({ publicKeyPem: keys.publicKeyPem }),
    orderExpirationSeconds: options.orderExpirationSeconds ?? 900,
  });
  const relay = new OutboxRelay({
    db: db as Kysely<unknown>,
    databaseUrl: database.url,
    bus,
    logger: testLogger,
  });
  let consumers: EventConsumers | undefined;

  return {
    db,
    bus,
    app,
    relay,
    databaseUrl: database.url,

    /** A signed-in user and the headers that carry their session cookie. */
    async signIn(user: SessionUser = newUser()) {
      const token = await keys.sign(user);
      return { user, token, headers: { cookie: `session=${token}` } };
    },

    /** Puts a ticket into the replica directly, as if ticket.created had been consumed. */
    async seedTicket(overrides: Partial<{ title: string; price: number; userId: string }> = {}) {
      const ticket = {
        id: randomUUID(),
        title: `Concert ${randomUUID().slice(0, 8)}`,
        price: 42.5,
        userId: randomUUID(),
        ...overrides,
      };
      await db
        .insertInto('tickets')
        .values({
          id: ticket.id,
          title: ticket.title,
          price_cents: toCents(ticket.price),
          user_id: ticket.userId,
          version: 0,
          order_id: null,
        })
        .execute();
      return ticket;
    },

    /** POST /api/orders for a ticket, as the signed-in caller of `headers`. */
    orderTicket(ticketId: string, headers: Record<string, string>) {
      return app.inject({ method: 'POST', url: '/api/orders', headers, payload: { ticketId } });
    },

    /** A new buyer orders a new ticket; fails unless that gives 201. */
    async placeOrder() {
      const ticket = await this.seedTicket();
      const buyer = await this.signIn();
      const response = await this.orderTicket(ticket.id, buyer.headers);
      if (response.statusCode !== 201) {
        throw new Error(`placing an order failed: ${response.statusCode} ${response.body}`);
      }
      return { ticket, buyer, order: response.json() as Order };
    },

    /** Publishes an event to this fixture's stream, as another service would. */
    async publish<S extends Subject>(subject: S, data: EventData<S>, id: string = randomUUID()) {
      const envelope = createEnvelope(subject, data, id);
      await bus.publish(envelope);
      return envelope;
    },

    /** Runs the service's real consumers on this fixture's stream. */
    async startConsumers() {
      consumers = new EventConsumers({
        bus,
        service: 'orders',
        subscriptions: ordersSubscriptions(db),
        logger: testLogger,
        concurrency: 4,
      });
      await consumers.start();
      return consumers;
    },

    async stopConsumers() {
      await consumers?.stop();
      consumers = undefined;
    },

    async close() {
      await consumers?.stop();
      await relay.stop();
      await app.close();
      await bus.jsm.streams.delete(bus.stream).catch(() => {});
      await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
      await bus.close();
      await db.destroy();
      await database.drop();
    },
  };
}

export type OrdersFixture = Awaited<ReturnType<typeof createOrdersFixture>>;

export function newUser(): SessionUser {
  const id = randomUUID();
  return { id, email: `buyer-${id.slice(0, 8)}@example.com` };
}

/** Every event of `subject` in the bus's stream, oldest first. */
export async function publishedEvents<S extends Subject>(
  bus: EventBus,
  subject: S,
): Promise<EventEnvelope<S>[]> {
  const info = await bus.jsm.streams.info(bus.stream);
  const events: EventEnvelope<S>[] = [];
  if (info.state.messages === 0) return events;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await bus.jsm.streams.getMessage(bus.stream, { seq }).catch(() => null);
    if (stored?.subject === bus.subjectOf(subject)) events.push(stored.json<EventEnvelope<S>>());
  }
  return events;
}
