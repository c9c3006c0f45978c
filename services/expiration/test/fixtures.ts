import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  durableName,
  EventBus,
  EventConsumers,
  type EventData,
  type EventEnvelope,
  type Subject,
} from '@gittix/common';
import { testEventNames, testInfra, testLogger, uniqueName } from '@gittix/common/testing';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { expirationSubscriptions } from '../src/events/subscriptions.js';
import { startExpirationWorker } from '../src/expiration-worker.js';
import { connectRedis, type ExpirationJob, OrderExpirations } from '../src/order-expirations.js';

export async function connectTestBus(natsUrl = testInfra.natsUrl): Promise<EventBus> {
  const names = testEventNames();
  const bus = await EventBus.connect({
    url: natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'expiration-test',
    logger: testLogger,
  });
  await bus.ensureStreams();
  return bus;
}

/**
 * The expiration service's moving parts on a queue prefix and (by default) a
 * stream of this test's own. `start()` and `stop()` play a process starting and
 * stopping: each start opens a fresh Redis connection, queue, worker and consumers.
 */
export async function createExpirationFixture(options: { bus?: EventBus } = {}) {
  const bus = options.bus ?? (await connectTestBus());
  const prefix = uniqueName('queue');
  let running:
    | { redis: Redis; expirations: OrderExpirations; worker: Worker; consumers: EventConsumers }
    | undefined;

  const fixture = {
    bus,
    prefix,

    async start() {
      const redis = connectRedis(testInfra.redisUrl);
      const expirations = new OrderExpirations(redis, prefix);
      const worker = startExpirationWorker({ redis, prefix, bus, expirations, logger: testLogger });
      const consumers = new EventConsumers({
        bus,
        service: 'expiration',
        subscriptions: expirationSubscriptions(expirations),
        logger: testLogger,
        concurrency: 16,
      });
      await consumers.start();
      running = { redis, expirations, worker, consumers };
      return running;
    },

    /** The shutdown main.ts runs, in the same order. */
    async stop() {
      if (!running) return;
      const { redis, expirations, worker, consumers } = running;
      running = undefined;
      await consumers.stop();
      await worker.close();
      await expirations.close();
      await redis.quit();
    },

    get expirations(): OrderExpirations {
      if (!running) throw new Error('expiration fixture is not started');
      return running.expirations;
    },

    /** Every job of the order's, in any state. */
    async jobsOf(orderId: string) {
      const jobs = await fixture.expirations.queue.getJobs([
        'delayed',
        'waiting',
        'active',
        'completed',
        'failed',
      ]);
      return jobs.filter((job) => (job.data as ExpirationJob).orderId === orderId);
    },

    async publish<S extends Subject>(subject: S, data: EventData<S>, id: string = randomUUID()) {
      const envelope = createEnvelope(subject, data, id);
      await bus.publish(envelope);
      return envelope;
    },

    /** Publishes order.created for a new order expiring `inMs` from now. */
    async orderCreated(inMs: number, orderId: string = randomUUID()) {
      const expiresAt = new Date(Date.now() + inMs).toISOString();
      return fixture.publish('order.created', {
        id: orderId,
        version: 0,
        status: 'created',
        userId: randomUUID(),
        expiresAt,
        ticket: { id: randomUUID(), price: 10 },
      });
    },

    /** True once the service's durable consumer of `subject` has handled and acked everything. */
    async caughtUp(subject: Subject) {
      const info = await bus.jsm.consumers.info(bus.stream, durableName('expiration', subject));
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },

    async close() {
      await fixture.stop();
      const redis = connectRedis(testInfra.redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      if (!options.bus) {
        await bus.jsm.streams.delete(bus.stream).catch(() => {});
        await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
        await bus.close();
      }
    },
  };
  return fixture;
}

export type ExpirationFixture = Awaited<ReturnType<typeof createExpirationFixture>>;

/** Every event of `subject` in the bus's stream, oldest first, with its Nats-Msg-Id. */
export async function publishedEvents<S extends Subject>(bus: EventBus, subject: S) {
  const info = await bus.jsm.streams.info(bus.stream);
  const events: Array<EventEnvelope<S> & { msgId: string | undefined }> = [];
  if (info.state.messages === 0) return events;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await bus.jsm.streams.getMessage(bus.stream, { seq }).catch(() => null);
    if (stored?.subject === bus.subjectOf(subject)) {
      events.push({ ...stored.json<EventEnvelope<S>>(), msgId: stored.header?.get('Nats-Msg-Id') });
    }
  }
  return events;
}

export async function expirationsOf(bus: EventBus, orderId: string) {
  const events = await publishedEvents(bus, 'expiration.complete');
  return events.filter((e) => e.data.orderId === orderId);
}
