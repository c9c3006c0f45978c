import { randomUUID } from 'node:crypto';
import { AckPolicy } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HeldPull } from '../../src/events/pull.js';
import {
  createEnvelope,
  durableName,
  EventConsumers,
  type EventEnvelope,
  RevokedSessions,
  subscribeWithoutInbox,
} from '../../src/index.js';
import {
  metricValue,
  type NatsProxy,
  startNatsProxy,
  testInfra,
  testLogger,
  ticketCreatedData,
  waitFor,
} from '../../src/testing/index.js';
import { createEventsFixture } from './fixtures.js';

/**
 * A pull request the server forgets without a word: no message, no 408 at its expiry,
 * no heartbeat. NATS 2.9.10 (this machine's) does so when a message arrives as a
 * request expires (nats-server#3942, fixed in 2.9.15): a fuzz run saw payments'
 * consumer stall 30 s (docs/fuzzing.md, finding #13). The proxy drops the request
 * before the server sees it, which the client cannot tell apart.
 */
describe('a pull request the server never answers', () => {
  /** Far longer than any wait below: before, the consumer waited this out. */
  const EXPIRES_MS = 30_000;
  let proxy: NatsProxy;
  let fixture: Awaited<ReturnType<typeof createEventsFixture>>;

  beforeAll(async () => {
    proxy = await startNatsProxy(new URL(testInfra.natsUrl.split(',')[0]!));
    fixture = await createEventsFixture(proxy.url);
  });
  afterEach(() => fixture.emptyStreams());
  afterAll(async () => {
    await fixture?.close();
    proxy?.close();
  });

  async function dropTheFirstPull(start: () => unknown): Promise<void> {
    const dropped = await proxy.dropped();
    await proxy.dropNextPull();
    await start();
    await waitFor(async () => (await proxy.dropped()) === dropped + 1, {
      message: 'the first pull request dropped',
    });
  }

  it('when its pull request is lost, then HeldPull asks again after two missed heartbeats, long before the request would expire', async () => {
    const durable = durableName(`svc${randomUUID().slice(0, 8)}`, 'ticket.created');
    await fixture.bus.jsm.consumers.add(fixture.bus.stream, {
      durable_name: durable,
      filter_subject: fixture.bus.subjectOf('ticket.created'),
      ack_policy: AckPolicy.Explicit,
    });
    const consumer = await fixture.bus.js.consumers.get(fixture.bus.stream, durable);
    let lost = 0;
    let pull: HeldPull | undefined;
    await dropTheFirstPull(() => {
      pull = new HeldPull(consumer, {
        limit: 4,
        ackWaitMs: 30_000,
        expiresMs: EXPIRES_MS,
        heartbeatMs: 1_000,
        onLostPull: () => lost++,
      });
    });
    const event = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    await fixture.bus.publish(event);
    const received: string[] = [];
    const reading = (async () => {
      for await (const message of pull!) {
        received.push(message.json<EventEnvelope>().id);
        message.ack();
      }
    })();
    try {
      await waitFor(() => received.length > 0, {
        timeoutMs: EXPIRES_MS / 3,
        message: 'the event, pulled again before the lost request would have expired',
      });
      expect(received).toEqual([event.id]);
      // At least the one dropped: a loaded machine may also miss a heartbeat that came.
      expect(lost).toBeGreaterThanOrEqual(1);
    } finally {
      await pull!.close();
      await reading;
    }
  });

  it('when a service consumer loses its pull request, then it counts it, pulls again within its 5 s heartbeats and handles the event', async () => {
    const service = `svc${randomUUID().slice(0, 8)}`;
    const registry = new Registry();
    const handled: string[] = [];
    const consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      metrics: registry,
      subscriptions: [
        subscribeWithoutInbox('ticket.created', async (event) => {
          handled.push(event.id);
        }),
      ],
    });
    try {
      await dropTheFirstPull(() => consumers.start());
      const event = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
      await fixture.bus.publish(event);
      // Two heartbeats of 5 s missed, checked every 5 s: 10–15 s, where before the
      // consumer waited for the 30 s expiry and the heartbeats nats.js sets to half of it.
      await waitFor(() => handled.includes(event.id), {
        timeoutMs: 25_000,
        message: 'the event handled after the pull was made again',
      });
      const lost = metricValue(await registry.metrics(), 'gittix_event_pulls_lost_total', {
        consumer: durableName(service, 'ticket.created'),
      });
      expect(lost).toBeGreaterThanOrEqual(1);
    } finally {
      await consumers.stop();
    }
  }, 40_000);

  it('when the pull that follows session revocations is lost, then a revocation still ends its session within seconds', async () => {
    let revoked: RevokedSessions | undefined;
    await dropTheFirstPull(async () => {
      revoked = await RevokedSessions.open(fixture.bus, testLogger);
    });
    try {
      const claims = { userId: randomUUID(), sessionId: randomUUID(), issuedAt: nowSeconds() };
      expect(revoked!.isRevoked(claims)).toBe(false);
      await fixture.bus.publish(
        createEnvelope(
          'session.revoked',
          {
            userId: claims.userId,
            sessionId: claims.sessionId,
            issuedBefore: null,
            exceptSessionId: null,
            expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          },
          randomUUID(),
        ),
      );
      // Heartbeats 2 s apart, two missed: 4-6 s, where nats.js' own (15 s) took 30-45 s.
      await waitFor(() => revoked!.isRevoked(claims), {
        timeoutMs: 12_000,
        message: 'the revocation, pulled again after the lost request',
      });
    } finally {
      await revoked?.stop();
    }
  }, 30_000);
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
