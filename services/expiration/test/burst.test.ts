import type { EventEnvelope } from '@gittix/common';
import {
  createTestEnvironment,
  type NatsProxy,
  startNatsProxy,
  streamMessages,
  type TestEnvironment,
  testInfra,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpirationFixture, type ExpirationFixture } from './fixtures.js';

describe('a burst of expiries (bench/bottlenecks.md §18, §19)', () => {
  let proxy: NatsProxy;
  let environment: TestEnvironment;
  let f: ExpirationFixture;

  beforeAll(async () => {
    proxy = await startNatsProxy(new URL(testInfra.natsUrl.split(',')[0]!));
    environment = await createTestEnvironment({ natsUrl: proxy.url });
    f = await createExpirationFixture({ environment });
    await f.start();
  });
  afterAll(async () => {
    await f?.close();
    await environment?.close();
    proxy?.close();
  });

  it('when many orders fall due at once, then each fires once and their publishes share the writes to NATS', async () => {
    const orders = 200;
    // Due far enough ahead that all 200 are scheduled first, on a loaded machine too.
    await Promise.all(Array.from({ length: orders }, () => f.orderCreated(4_000)));
    // Everything the test itself sends to NATS is sent by now; Redis tells the rest.
    await waitFor(async () => (await f.expirations.queue.getDelayedCount()) === orders, {
      message: 'every job scheduled',
    });
    const before = await proxy.writes();
    await waitFor(async () => (await f.expirations.queue.getCompletedCount()) === orders, {
      timeoutMs: 15_000,
      message: 'every job fired',
    });
    // Each fired job completes only after JetStream acknowledged its expiration.complete.
    // Published as each job came, they took 97 writes here (2,000 for 1,000 in the
    // bench, with the acks of order.cancelled); the jobs BullMQ hands over in one turn
    // now publish together (10-12 writes).
    const writes = (await proxy.writes()) - before;
    expect(writes).toBeLessThan(orders / 4);
    const fired = await streamMessages<EventEnvelope<'expiration.complete'>>(f.bus, {
      subject: f.bus.subjectOf('expiration.complete'),
    });
    expect(fired).toHaveLength(orders);
    expect(new Set(fired.map((message) => message.body.data.orderId)).size).toBe(orders);
  });

  it('when more orders fall due than JetStream acknowledges meanwhile, then all of them are in flight at once, not a wave at a time', async () => {
    // More than the worker's old concurrency of 50: each wave waited one JetStream round
    // trip for its acks, so a 1,000-order burst fired in 20 waves (bench/bottlenecks.md §19).
    const orders = 120;
    const completed = await f.expirations.queue.getCompletedCount();
    await Promise.all(Array.from({ length: orders }, () => f.orderCreated(2_000)));
    await waitFor(async () => (await f.expirations.queue.getDelayedCount()) === orders, {
      message: 'every job scheduled',
    });
    // No publish reaches NATS now, so no job completes: each stays active until its ack.
    await proxy.hold();
    try {
      await waitFor(async () => (await f.expirations.queue.getActiveCount()) === orders, {
        timeoutMs: 10_000,
        message: 'every due job active at once',
      });
    } finally {
      await proxy.release();
    }
    await waitFor(
      async () => (await f.expirations.queue.getCompletedCount()) === completed + orders,
      { timeoutMs: 15_000, message: 'every job fired' },
    );
  });
});
