import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEnvelope,
  deadLettersWaiting,
  durableName,
  EventBus,
  EventConsumers,
  type EventEnvelope,
  NATS_ADMIN_USER,
  type NatsUser,
  natsAuthorizationConfig,
  natsUser,
  natsUsersWithRandomPasswords,
  openEventBus,
  RevokedSessions,
  subscribeWithoutInbox,
} from '../../src/index.js';
import {
  orderCreatedData,
  type PrivateNatsServer,
  startPrivateNatsServer,
  streamMessages,
  testEventNames,
  testLogger,
  waitFor,
} from '../../src/testing/index.js';

const names = testEventNames();

/** A service's connection exactly as runService opens it, as user `name`. */
function openAs(nats: PrivateNatsServer, name: string): Promise<EventBus> {
  const { user, password } = natsUser(nats.users, name);
  return openEventBus(
    {
      NATS_URL: nats.url,
      NATS_STREAM: names.stream,
      NATS_SUBJECT_PREFIX: names.subjectPrefix,
      NATS_USER: user,
      NATS_PASSWORD: password,
    },
    name,
    testLogger,
  );
}

const paymentCreated = () =>
  createEnvelope(
    'payment.created',
    { id: randomUUID(), orderId: randomUUID(), providerId: 'forged' },
    randomUUID(),
  );

describe('NATS users and permissions', () => {
  let nats: PrivateNatsServer;
  let admin: EventBus;
  const open: EventBus[] = [];
  const as = async (name: string) => {
    const bus = await openAs(nats, name);
    open.push(bus);
    return bus;
  };
  const paymentEvents = async () =>
    (await streamMessages(admin)).filter((m) => m.subject.endsWith('.payment.created'));

  beforeAll(async () => {
    nats = await startPrivateNatsServer({ users: natsUsersWithRandomPasswords(names) });
    const { user, password } = natsUser(nats.users, NATS_ADMIN_USER);
    admin = await EventBus.connect({
      url: nats.url,
      ...names,
      name: 'test',
      logger: testLogger,
      user,
      password,
    });
  });
  afterAll(async () => {
    for (const bus of open) await bus.close().catch(() => {});
    await admin?.close();
    await nats?.destroy();
  });

  it('when a service connects as its own user, then it makes the streams and publishes its own subjects', async () => {
    const payments = await as('payments');
    const event = paymentCreated();
    await payments.publish(event);
    const stored = await paymentEvents();
    expect(stored.map((m) => m.msgId)).toContain(event.id);
  });

  it('when the tickets service publishes a forged payment.created, then the server refuses it and the stream never holds it', async () => {
    const tickets = await as('tickets');
    const forged = paymentCreated();
    await expect(tickets.publish(forged, 2_000)).rejects.toThrow(/permission|timeout/i);
    // The refusal is the server's: a later legitimate publish from tickets still works,
    // and nothing of the forged event reached the stream.
    await tickets.publish(
      createEnvelope(
        'ticket.created',
        {
          id: randomUUID(),
          version: 0,
          title: 'ok',
          price: 10,
          userId: randomUUID(),
        },
        randomUUID(),
      ),
    );
    const stored = await paymentEvents();
    expect(stored.map((m) => m.msgId)).not.toContain(forged.id);
  });

  it('when a client has no password or a wrong one, then the server refuses the connection', async () => {
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 2_000 })).rejects.toThrow(
      /authorization/i,
    );
    await expect(
      connect({
        servers: nats.url,
        reconnect: false,
        timeout: 2_000,
        user: 'payments',
        pass: 'not-the-password',
      }),
    ).rejects.toThrow(/authorization/i);
  });

  it("when a service tries to read another service's consumer, delete the stream or listen on another's inbox, then the server refuses", async () => {
    const tickets = await as('tickets');
    // orders' durable consumer of payment.created: tickets may not make or read it.
    await expect(
      tickets.jsm.consumers.add(names.stream, {
        durable_name: 'orders_payment_created',
        filter_subject: `${names.subjectPrefix}.payment.created`,
      }),
    ).rejects.toThrow(/permission|timeout/i);
    await expect(tickets.jsm.streams.delete(names.stream)).rejects.toThrow(/permission|timeout/i);
    await expect(tickets.jsm.streams.purge(names.stream)).rejects.toThrow(/permission|timeout/i);
    const denied = new Promise<Error>((resolve) => {
      const subscription = tickets.nc.subscribe('_INBOX_orders.>', {
        callback: (error) => {
          if (error) resolve(error);
        },
      });
      void subscription.closed.then((error) => error && resolve(error));
    });
    expect(String(await denied)).toMatch(/permission/i);
    expect((await admin.jsm.streams.info(names.stream)).config.name).toBe(names.stream);
  });

  it('when each service consumes the subjects its role allows, then their events reach it', async () => {
    const orders = await as('orders');
    const expiration = await as('expiration');
    const seen: EventEnvelope[] = [];
    const consumers = new EventConsumers({
      bus: expiration,
      service: 'expiration',
      logger: testLogger,
      subscriptions: [
        subscribeWithoutInbox('order.created', async (event) => {
          seen.push(event);
        }),
      ],
    });
    await consumers.start();
    try {
      const event = createEnvelope(
        'order.created',
        orderCreatedData({ expiresAt: new Date().toISOString() }),
        randomUUID(),
      );
      await orders.publish(event);
      await waitFor(() => seen.some((e) => e.id === event.id), {
        timeoutMs: 10_000,
        message: 'expiration handled order.created',
      });
      // Acked through its own permissions: nothing left pending.
      await waitFor(
        async () =>
          (await admin.jsm.consumers.info(names.stream, 'expiration_order_created'))
            .num_ack_pending === 0,
        { timeoutMs: 10_000, message: 'the event acked' },
      );
    } finally {
      await consumers.stop();
    }
  });

  it('when a service counts its dead letters waiting as its own user, then it gets the count, and may not read the records', async () => {
    const tickets = await as('tickets');
    const durable = durableName('tickets', 'order.created');
    await tickets.js.publish(tickets.deadLetterSubjectOf(durable), '{}');
    await admin.js.publish(
      admin.deadLetterSubjectOf(durableName('orders', 'ticket.created')),
      '{}',
    );
    expect(await deadLettersWaiting(tickets, [durable])).toEqual([
      { consumer: durable, waiting: 1 },
    ]);
    // Other consumers' dead letters hold payloads of subjects tickets does not consume.
    await expect(
      tickets.jsm.streams.getMessage(tickets.deadLetterStream, { seq: 1 }),
    ).rejects.toThrow(/permission/i);
  });

  it('when auth publishes a session.revoked, then every verifier loads it from the sessions stream as its own user, and expiration may not read that stream', async () => {
    const auth = await as('auth');
    const sessionId = randomUUID();
    const userId = randomUUID();
    const revoked = createEnvelope(
      'session.revoked',
      {
        userId,
        sessionId,
        issuedBefore: null,
        exceptSessionId: null,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
      randomUUID(),
    );
    await auth.publish(revoked);
    // JetStream copies it into <stream>_SESSIONS (a source): wait for the copy.
    await waitFor(
      async () => (await admin.jsm.streams.info(admin.sessionsStream)).state.messages > 0,
      { timeoutMs: 10_000, message: 'the revocation copied into the sessions stream' },
    );
    const claims = { sessionId, userId, issuedAt: Math.floor(Date.now() / 1000) };
    for (const verifier of ['auth', 'tickets', 'orders', 'payments']) {
      const list = await RevokedSessions.open(await as(verifier), testLogger, {
        loadTimeoutMs: 10_000,
      });
      try {
        expect(list.isRevoked(claims), verifier).toBe(true);
      } finally {
        await list.stop();
      }
    }
    const expiration = await as('expiration');
    await expect(
      RevokedSessions.open(expiration, testLogger, { loadTimeoutMs: 3_000 }),
    ).rejects.toThrow(/permission|timeout|in time/i);
  });
});

describe('the authorization block', () => {
  it('when a password is a $VARIABLE, then it is left bare for the server to read from its environment', () => {
    const users: NatsUser[] = [
      { user: 'admin', password: '$NATS_PASSWORD_ADMIN' },
      { user: 'x', password: 'has "quotes"', permissions: { publish: ['a.b'], subscribe: [] } },
    ];
    const text = natsAuthorizationConfig(users);
    expect(text).toContain('password: $NATS_PASSWORD_ADMIN');
    expect(text).toContain('password: "has \\"quotes\\""');
    expect(text).toContain('"a.b"');
  });
});
