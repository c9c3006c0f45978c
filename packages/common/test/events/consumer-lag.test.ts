import { PermissionViolationError } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseConfigSchema,
  createServiceApp,
  defineService,
  durableName,
  env,
  natsConfigSchema,
  natsUsersWithRandomPasswords,
  subscribeWithoutInbox,
} from '../../src/index.js';
import {
  createTestEnvironment,
  orderCreatedData,
  type PrivateNatsServer,
  scrapeMetric,
  startPrivateNatsServer,
  startTestService,
  type TestEnvironment,
  testEventNames,
  waitFor,
} from '../../src/testing/index.js';

const AGE = 'gittix_consumer_oldest_unacked_age_seconds';
const consumer = durableName('expiration', 'order.created');

/** Expiration consuming order.created (its NATS role allows it) with `handle`. */
function expirationHandling(handle: () => Promise<void>) {
  return defineService({
    name: 'expiration',
    configSchema: baseConfigSchema.extend(natsConfigSchema.shape).extend({ PORT: env.port(0) }),
    needs: { events: {} },
    build: async ({ logger, readiness }) => ({
      app: await createServiceApp({ name: 'expiration', logger, readiness }),
      subscriptions: [subscribeWithoutInbox('order.created', handle)],
    }),
  });
}

/** Expiration whose handler waits until the test lets it go. */
function expirationThatWaits() {
  let entered = 0;
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const description = expirationHandling(async () => {
    entered += 1;
    await released;
  });
  return { description, entered: () => entered, release: () => release() };
}

/** When the stream stored the newest order.created: the publish time its age counts from. */
async function storedAt(environment: TestEnvironment): Promise<number> {
  const admin = await environment.bus();
  const stored = await admin.jsm.streams.getMessage(admin.stream, {
    last_by_subj: admin.subjectOf('order.created'),
  });
  if (!stored) throw new Error('no order.created in the stream');
  return stored.time.getTime();
}

/** Scrapes until the age reaches `atLeast` seconds: that value, and when its scrape began and ended. */
async function ageOnceAtLeast(
  service: Awaited<ReturnType<typeof startExpiration>>,
  atLeast: number,
): Promise<{ value: number; scrapedFrom: number; scrapedTo: number }> {
  return waitFor(
    async () => {
      const scrapedFrom = Date.now();
      const value = await scrapeMetric(service.app, AGE, { consumer });
      const scrapedTo = Date.now();
      return value >= atLeast && { value, scrapedFrom, scrapedTo };
    },
    { timeoutMs: 15_000, intervalMs: 100, message: `${AGE} of ${consumer} at least ${atLeast}` },
  );
}

function startExpiration(
  environment: TestEnvironment,
  description: ReturnType<typeof expirationHandling>,
) {
  return startTestService(description, { environment });
}

describe("a consumer's oldest unacknowledged event, in /metrics", () => {
  describe('when the NATS server has users: a service may not read the stream', () => {
    const names = testEventNames();
    let nats: PrivateNatsServer;

    beforeAll(async () => {
      nats = await startPrivateNatsServer({ users: natsUsersWithRandomPasswords(names) });
    });
    afterAll(async () => {
      await nats?.destroy();
    });

    it('when its handler holds an old event, then the replica holding it reports at least that event’s age, one holding nothing 0, and every one 0 once it is handled', async () => {
      const environment = await createTestEnvironment({
        natsUrl: nats.url,
        natsUsers: nats.users,
        names,
      });
      const { description, entered, release } = expirationThatWaits();
      const holding = await startExpiration(environment, description);
      const idle = await startExpiration(environment, description);
      try {
        await holding.startConsumers();
        await environment.publish('order.created', orderCreatedData());
        const firstAt = await storedAt(environment);
        // Behind it, one waiting for the handler's only slot: held too, and younger.
        await environment.publish('order.created', orderCreatedData());
        await waitFor(() => entered() === 1, { message: 'the first event in its handler' });
        // The gauge's first source, the stream's message-get, is refused to this user.
        await expect(holding.bus.jsm.streams.getMessage(names.stream, { seq: 1 })).rejects.toThrow(
          /permission/i,
        );

        const age = await ageOnceAtLeast(holding, 1);
        expect(age.value).toBeGreaterThanOrEqual((age.scrapedFrom - firstAt) / 1000);
        expect(age.value).toBeLessThanOrEqual((age.scrapedTo - firstAt) / 1000 + 0.001);
        // Another replica holds none of them: the alert takes the max over replicas.
        expect(await scrapeMetric(idle.app, AGE, { consumer })).toBe(0);

        release();
        await waitFor(async () => (await scrapeMetric(holding.app, AGE, { consumer })) === 0, {
          timeoutMs: 10_000,
          message: `${AGE} back to 0 once both events are handled`,
        });
      } finally {
        release();
        await holding.close();
        await idle.close();
        await environment.close();
      }
    });

    it('when its handler fails on a database out of reach and the event waits out its retry delay, then the replica still reports its age', async () => {
      const environment = await createTestEnvironment({
        natsUrl: nats.url,
        natsUsers: nats.users,
        names,
      });
      let failures = 0;
      const service = await startExpiration(
        environment,
        expirationHandling(async () => {
          failures += 1;
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        }),
      );
      try {
        // Given back (nak) for 30 s after its first failure: held by no process meanwhile.
        await service.startConsumers({ transientRetryMs: 30_000 });
        await environment.publish('order.created', orderCreatedData());
        const publishedAt = await storedAt(environment);
        await waitFor(() => failures === 1, { message: 'the handler failed once' });

        const age = await ageOnceAtLeast(service, 1);
        expect(age.value).toBeGreaterThanOrEqual((age.scrapedFrom - publishedAt) / 1000);
        expect(failures).toBe(1);
      } finally {
        await service.close();
        await environment.close();
      }
    });

    it('when scraped again and again, then the refused message-get is asked once, not at every scrape (each refusal is an error in the server log)', async () => {
      const environment = await createTestEnvironment({
        natsUrl: nats.url,
        natsUsers: nats.users,
        names,
      });
      const { description, entered, release } = expirationThatWaits();
      const service = await startExpiration(environment, description);
      const refused: string[] = [];
      void (async () => {
        for await (const status of service.bus.nc.status()) {
          if (status.type === 'error' && status.error instanceof PermissionViolationError) {
            refused.push(status.error.subject);
          }
        }
      })();
      try {
        await service.startConsumers();
        await environment.publish('order.created', orderCreatedData());
        await waitFor(() => entered() === 1, { message: 'the event in its handler' });
        // Scrapes within 500 ms share one JetStream round: a new age is a new round.
        const ages = new Set<number>();
        await waitFor(
          async () => {
            ages.add(await scrapeMetric(service.app, AGE, { consumer }));
            return ages.size >= 3;
          },
          { intervalMs: 100, message: 'three JetStream rounds' },
        );
        expect(refused.filter((subject) => subject.includes('.STREAM.MSG.GET.'))).toHaveLength(1);
      } finally {
        release();
        await service.close();
        await environment.close();
      }
    });
  });

  describe('when the NATS server has no users', () => {
    it('when its handler holds an old event, then every replica reports at least its age, read from the stream, one holding nothing too', async () => {
      const environment = await createTestEnvironment();
      const { description, entered, release } = expirationThatWaits();
      const holding = await startExpiration(environment, description);
      const idle = await startExpiration(environment, description);
      try {
        await holding.startConsumers();
        await environment.publish('order.created', orderCreatedData());
        const firstAt = await storedAt(environment);
        await waitFor(() => entered() === 1, { message: 'the event in its handler' });
        for (const replica of [holding, idle]) {
          const age = await ageOnceAtLeast(replica, 1);
          expect(age.value).toBeGreaterThanOrEqual((age.scrapedFrom - firstAt) / 1000);
          expect(age.value).toBeLessThanOrEqual((age.scrapedTo - firstAt) / 1000 + 0.001);
        }
      } finally {
        release();
        await holding.close();
        await idle.close();
        await environment.close();
      }
    });
  });
});
