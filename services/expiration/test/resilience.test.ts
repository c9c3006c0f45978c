import { randomUUID } from 'node:crypto';
import {
  createTestEnvironment,
  freePort,
  type PrivateNatsServer,
  startPrivateNatsServer,
  startTestService,
  type TestEnvironment,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expirationService } from '../src/service.js';
import { createExpirationFixture, type ExpirationFixture, expirationsOf } from './fixtures.js';

describe('expiration service while NATS is down', () => {
  let nats: PrivateNatsServer;
  let environment: TestEnvironment;
  let f: ExpirationFixture;

  beforeAll(async () => {
    nats = await startPrivateNatsServer();
    environment = await createTestEnvironment({ natsUrl: nats.url });
    f = await createExpirationFixture({ environment });
  });
  afterAll(async () => {
    await f?.close();
    await environment?.close();
    await nats?.destroy();
  });

  it('when JetStream cannot take the event at expiresAt, then the job is retried and fires once NATS is back', async () => {
    await f.start();
    const orderId = randomUUID();
    // Scheduled directly: with NATS down no order.created could arrive anyway.
    await nats.stop();
    await f.expirations.schedule({ orderId, expiresAt: new Date().toISOString() });

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
    // The test's own connection reconnects on its own schedule: read the stream once it answers.
    const events = await waitFor(() => expirationsOf(f.bus, orderId), {
      timeoutMs: 20_000,
      message: "the test's connection reading the stream again",
    });
    expect(events.map((e) => e.id)).toEqual([orderId]);
  }, 60_000);
});

describe('expiration health', () => {
  it('when Redis and NATS answer, then /readyz is 200; /healthz is 200', async () => {
    const expiration = await startTestService(expirationService);
    try {
      expect((await expiration.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await expiration.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks).toEqual({ redis: 'up', nats: 'up' });
    } finally {
      await expiration.close();
    }
  });

  it('when Redis is unreachable, then /readyz is 503 naming redis', async () => {
    const expiration = await startTestService(expirationService, {
      env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
    });
    try {
      const ready = await expiration.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toEqual({ redis: 'down', nats: 'up' });
    } finally {
      await expiration.close();
    }
  });
});
