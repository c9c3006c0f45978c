import { randomUUID } from 'node:crypto';
import { connectRedis, type EventBus, type EventEnvelope, type Subject } from '@gittix/common';
import {
  createTestEnvironment,
  orderCreatedData,
  startTestService,
  streamMessages,
  type TestEnvironment,
  type TestService,
  testInfra,
} from '@gittix/common/testing';
import { type ExpirationJob, OrderExpirations } from '../src/order-expirations.js';
import { expirationService } from '../src/service.js';

type ExpirationService = TestService<typeof expirationService>;

/**
 * The expiration service on a queue prefix and (by default) a stream of this
 * test's own. `start()` and `stop()` play a process starting and stopping: each
 * start opens the service afresh as main.ts does (Redis, queue, worker, consumers).
 */
export async function createExpirationFixture(options: { environment?: TestEnvironment } = {}) {
  const environment = options.environment ?? (await createTestEnvironment());
  const bus = await environment.bus();
  const prefix = environment.configFor(expirationService).QUEUE_PREFIX!;
  // The test's own view of the queue in Redis; the service's goes with each stop.
  const redis = connectRedis(testInfra.redisUrl);
  const expirations = new OrderExpirations(redis, prefix);
  let running: ExpirationService | undefined;

  const fixture = {
    bus,
    prefix,
    /** Schedules and inspects jobs in the service's queue, whether it runs or not. */
    expirations,

    async start(): Promise<ExpirationService> {
      running = await startTestService(expirationService, { environment });
      await running.start();
      return running;
    },

    /** The shutdown main.ts runs, in the same order. */
    async stop() {
      const stopping = running;
      running = undefined;
      await stopping?.stop();
    },

    /** Every job of the order's, in any state. */
    async jobsOf(orderId: string) {
      const jobs = await expirations.queue.getJobs([
        'delayed',
        'waiting',
        'active',
        'completed',
        'failed',
      ]);
      return jobs.filter((job) => (job.data as ExpirationJob).orderId === orderId);
    },

    publish: environment.publish,

    /** Publishes order.created for a new order expiring `inMs` from now. */
    async orderCreated(inMs: number, orderId: string = randomUUID()) {
      const expiresAt = new Date(Date.now() + inMs).toISOString();
      return environment.publish('order.created', orderCreatedData({ id: orderId, expiresAt }));
    },

    /** True once the service's durable consumer of `subject` has handled and acked everything. */
    caughtUp(subject: Subject) {
      if (!running) throw new Error('expiration fixture is not started');
      return running.caughtUp(subject);
    },

    async close() {
      await fixture.stop();
      await expirations.close();
      await redis.quit();
      if (!options.environment) await environment.close();
    },
  };
  return fixture;
}

export type ExpirationFixture = Awaited<ReturnType<typeof createExpirationFixture>>;

/** expiration.complete events of one order in the bus's stream, with their Nats-Msg-Id. */
export async function expirationsOf(bus: EventBus, orderId: string) {
  const messages = await streamMessages<EventEnvelope<'expiration.complete'>>(bus, {
    subject: bus.subjectOf('expiration.complete'),
  });
  return messages
    .filter((message) => message.body.data.orderId === orderId)
    .map((message) => ({ ...message.body, msgId: message.msgId }));
}
