import { randomUUID } from 'node:crypto';
import {
  freePort,
  type PrivateNatsServer,
  startPrivateNatsServer,
  testInfra,
  testLogger,
  waitFor,
} from '@gittix/common/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { connectRedis } from '../src/order-expirations.js';
import {
  connectTestBus,
  createExpirationFixture,
  type ExpirationFixture,
  expirationsOf,
} from './fixtures.js';

describe('expiration service while NATS is down', () => {
  let nats: PrivateNatsServer;
  let f: ExpirationFixture;

  beforeAll(async () => {
    nats = await startPrivateNatsServer();
    f = await createExpirationFixture({ bus: await connectTestBus(nats.url) });
  });
  afterAll(async () => {
    await f?.close();
    await f?.bus.close();
    await nats?.destroy();
  });

  it('when JetStream cannot take the event at expiresAt, then the job is retried and fires once NATS is back', async () => {
    const { expirations } = await f.start();
    const orderId = randomUUID();
    // Scheduled directly: with NATS down no order.created could arrive anyway.
    await nats.stop();
    await expirations.schedule({ orderId, expiresAt: new Date().toISOString() });

    const [job] = await waitFor(
      async () => {
        const jobs = await f.jobsOf(orderId);
        return jobs[0] && jobs[0].attemptsMade >= 1 && jobs;
      },
      { timeoutMs: 15_000, message: 'a failed publish attempt' },
    );
    expect(job!.finishedOn).toBeUndefined();

    await nats.start();
    await waitFor(async () => (await f.jobsOf(orderId))[0]?.returnvalue === 'expired', {
      timeoutMs: 20_000,
      message: 'the job completed after NATS returned',
    });
    const events = await expirationsOf(f.bus, orderId);
    expect(events.map((e) => e.id)).toEqual([orderId]);
  });
});

describe('expiration health', () => {
  it('when Redis and NATS answer, then /readyz is 200; /healthz is 200', async () => {
    const bus = await connectTestBus();
    const redis = connectRedis(testInfra.redisUrl);
    const app = await buildApp({ redis, bus, logger: testLogger });
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks).toEqual({ redis: 'up', nats: 'up' });
    } finally {
      await app.close();
      await redis.quit();
      await bus.jsm.streams.delete(bus.stream);
      await bus.jsm.streams.delete(bus.deadLetterStream);
      await bus.close();
    }
  });

  it('when Redis is unreachable, then /readyz is 503 naming redis', async () => {
    const bus = await connectTestBus();
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    redis.on('error', () => {});
    const app = await buildApp({ redis, bus, logger: testLogger });
    try {
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toEqual({ redis: 'down', nats: 'up' });
    } finally {
      await app.close();
      redis.disconnect();
      await bus.jsm.streams.delete(bus.stream);
      await bus.jsm.streams.delete(bus.deadLetterStream);
      await bus.close();
    }
  });
});
