import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  createSessionVerifier,
  EventBus,
  EventConsumers,
  type EventData,
  type EventEnvelope,
  OutboxRelay,
  openDatabase,
  type ServiceApp,
  type Subject,
} from '@gittix/common';
import {
  createTestDatabase,
  createTestSessionKeys,
  testEventNames,
  testInfra,
  testLogger,
  waitFor,
} from '@gittix/common/testing';
import { type Kysely, sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { migrations } from '../src/db/migrations.js';
import type { PaymentsDatabase } from '../src/db/schema.js';
import { paymentsSubscriptions } from '../src/events/index.js';
import type { ChargeRequest, PaymentProvider, RefundRequest } from '../src/providers/index.js';
import { SandboxProvider } from '../src/providers/index.js';

/** Wraps a provider and remembers every request, so tests can read the idempotency keys. */
export class RecordingProvider implements PaymentProvider {
  readonly charges: ChargeRequest[] = [];
  readonly refunds: RefundRequest[] = [];
  constructor(readonly inner: PaymentProvider = new SandboxProvider()) {}
  get name() {
    return this.inner.name;
  }
  charge(request: ChargeRequest) {
    this.charges.push(request);
    return this.inner.charge(request);
  }
  refund(request: RefundRequest) {
    this.refunds.push(request);
    return this.inner.refund(request);
  }
}

export interface PaymentsFixtureOptions {
  provider?: PaymentProvider;
  providerTimeoutMs?: number;
}

export type PaymentsFixture = Awaited<ReturnType<typeof createPaymentsFixture>>;

/**
 * The payments app over a database and a stream of this test file's own, with its
 * real consumers running. The outbox relay is not started: tests drain it.
 */
export async function createPaymentsFixture(options: PaymentsFixtureOptions = {}) {
  const database = await createTestDatabase('payments');
  const db = await openDatabase<PaymentsDatabase>(database.url, migrations, { max: 12 });
  const names = testEventNames();
  const bus = await EventBus.connect({
    url: testInfra.natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'payments-test',
    logger: testLogger,
  });
  await bus.ensureStreams();
  const keys = await createTestSessionKeys();
  const provider = options.provider ?? new RecordingProvider();
  const providerTimeoutMs = options.providerTimeoutMs ?? 5_000;
  const app: ServiceApp = await buildApp({
    db,
    bus,
    logger: testLogger,
    verifySession: createSessionVerifier({ publicKeyPem: keys.publicKeyPem }),
    provider,
    providerTimeoutMs,
  });
  const consumers = new EventConsumers({
    bus,
    service: 'payments',
    subscriptions: paymentsSubscriptions({ db, provider, providerTimeoutMs }),
    logger: testLogger,
    maxDeliveries: 3,
  });
  await consumers.start();
  const relay = new OutboxRelay({
    db: db as Kysely<unknown>,
    databaseUrl: database.url,
    bus,
    logger: testLogger,
  });

  async function publish<S extends Subject>(subject: S, data: EventData<S>) {
    const envelope = createEnvelope(subject, data, randomUUID());
    await bus.publish(envelope);
    return envelope;
  }

  /** Waits until this service's consumer committed the event (its inbox row). */
  async function handled(envelope: EventEnvelope) {
    await waitFor(
      async () => {
        const { rows } = await sql`
          SELECT 1 FROM inbox WHERE event_id = ${envelope.id}`.execute(db);
        return rows.length > 0;
      },
      { message: `${envelope.type} ${envelope.id} handled` },
    );
  }

  async function publishHandled<S extends Subject>(subject: S, data: EventData<S>) {
    const envelope = await publish(subject, data);
    await handled(envelope);
    return envelope;
  }

  return {
    db,
    bus,
    app,
    provider,
    relay,
    publish,
    handled,
    publishHandled,

    /** A signed-in buyer: their id and the Authorization header to send. */
    async buyer() {
      const id = randomUUID();
      const token = await keys.sign({ id, email: `buyer-${id.slice(0, 8)}@example.com` });
      return { id, headers: { authorization: `Bearer ${token}` } };
    },

    /** Publishes order.created for `userId` and waits until the replica holds it. */
    async createOrder(userId: string, overrides: Partial<EventData<'order.created'>> = {}) {
      const data = orderCreated({ userId, ...overrides });
      await publishHandled('order.created', data);
      return data;
    },

    async cancelOrder(order: { id: string; ticket: { id: string } }, version = 1) {
      return publishHandled('order.cancelled', { id: order.id, version, ticket: order.ticket });
    },

    pay(headers: Record<string, string>, payload: unknown) {
      return app.inject({
        method: 'POST',
        url: '/api/payments',
        headers,
        payload: payload as object,
      });
    },

    /** payment.created events the service has published, after draining its outbox. */
    async publishedPayments() {
      await relay.drain();
      const messages = await streamMessages(bus);
      return messages
        .filter((m) => m.subject === bus.subjectOf('payment.created'))
        .map((m) => ({ ...m, body: m.body as EventEnvelope<'payment.created'> }));
    },

    async close() {
      await consumers.stop();
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

/** An order.created payload: a future expiry, $25.50, overridable. */
export function orderCreated(
  overrides: Partial<EventData<'order.created'>> & { userId: string },
): EventData<'order.created'> {
  return {
    id: randomUUID(),
    version: 0,
    status: 'created',
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: randomUUID(), price: 25.5 },
    ...overrides,
  };
}

/** Every message in the stream, oldest first. */
export async function streamMessages(bus: EventBus) {
  const info = await bus.jsm.streams.info(bus.stream);
  const messages = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await bus.jsm.streams.getMessage(bus.stream, { seq }).catch(() => null);
    if (stored) {
      messages.push({
        subject: stored.subject,
        msgId: stored.header?.get('Nats-Msg-Id'),
        body: stored.json<EventEnvelope>(),
      });
    }
  }
  return messages;
}

/** What the database holds for one order: its replica row, payments and declines. */
export async function storedFor(db: Kysely<PaymentsDatabase>, orderId: string) {
  const [order, payments, declines] = await Promise.all([
    db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst(),
    db.selectFrom('payments').selectAll().where('order_id', '=', orderId).execute(),
    db
      .selectFrom('payment_declines')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('attempt')
      .execute(),
  ]);
  return { order, payments, declines };
}
