import { randomUUID } from 'node:crypto';
import { createEnvelope } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExpirationFixture, type ExpirationFixture, expirationsOf } from './fixtures.js';

describe('expiration service', () => {
  let f: ExpirationFixture;

  beforeAll(async () => {
    f = await createExpirationFixture();
  });
  afterEach(async () => {
    await f.stop();
  });
  afterAll(() => f?.close());

  const fired = (orderId: string, timeoutMs = 5_000) =>
    waitFor(
      async () => {
        const events = await expirationsOf(f.bus, orderId);
        return events.length > 0 && events;
      },
      { timeoutMs, message: `expiration.complete for ${orderId}` },
    );

  /**
   * order.created of an order whose job has fired, delivered again: the finished job
   * stays the only one and nothing fires a second time.
   */
  const expectLateDuplicateIgnored = async (
    created: Awaited<ReturnType<ExpirationFixture['orderCreated']>>,
  ) => {
    const [job] = await f.jobsOf(created.data.id);
    await f.publish('order.created', created.data);
    await waitFor(() => f.caughtUp('order.created'), { message: 'late duplicate handled' });
    const jobs = await f.jobsOf(created.data.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.finishedOn).toBe(job!.finishedOn);
    expect(await expirationsOf(f.bus, created.data.id)).toHaveLength(1);
  };

  it('when order.created arrives, then expiration.complete is published at expiresAt with the order id as event id', async () => {
    await f.start();
    const created = await f.orderCreated(800);
    const expiresAt = Date.parse(created.data.expiresAt);

    const [event] = await fired(created.data.id);
    expect(event).toMatchObject({
      id: created.data.id,
      msgId: created.data.id,
      type: 'expiration.complete',
      data: { orderId: created.data.id },
    });
    const lag = Date.parse(event!.occurredAt) - expiresAt;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1_000);
  });

  it('when the order has already expired, then it fires at once', async () => {
    await f.start();
    const created = await f.orderCreated(-60_000);
    await fired(created.data.id, 2_000);
  });

  it('when order.created is delivered again, then there is still one job and one expiration.complete', async () => {
    await f.start();
    const created = await f.orderCreated(600);
    // The same event under another Nats-Msg-Id, and a later copy with an event id of its own.
    await f.bus.js.publish(f.bus.subjectOf('order.created'), JSON.stringify(created), {
      msgID: randomUUID(),
    });
    await f.publish('order.created', created.data);
    await waitFor(() => f.caughtUp('order.created'), { message: 'all order.created handled' });
    expect(await f.jobsOf(created.data.id)).toHaveLength(1);

    await fired(created.data.id);
    await waitFor(async () => (await f.jobsOf(created.data.id))[0]?.finishedOn, {
      message: 'job finished',
    });
    // A late duplicate, after the job fired, must not schedule it again.
    await expectLateDuplicateIgnored(created);
  });

  it('when the order is cancelled before it expires, then its job is dropped and never fires', async () => {
    await f.start();
    const cancelled = await f.orderCreated(500);
    await waitFor(async () => (await f.jobsOf(cancelled.data.id)).length === 1, {
      message: 'job scheduled',
    });
    await f.publish('order.cancelled', {
      id: cancelled.data.id,
      version: 1,
      ticket: { id: cancelled.data.ticket.id },
    });
    await waitFor(async () => (await f.jobsOf(cancelled.data.id)).length === 0, {
      message: 'job removed',
    });
    // An order expiring after the cancelled one's time shows the worker was running meanwhile.
    const later = await f.orderCreated(900);
    await fired(later.data.id);
    expect(await expirationsOf(f.bus, cancelled.data.id)).toEqual([]);
  });

  it('when the order is cancelled by its own expiry, then its finished job is kept and a late order.created schedules nothing', async () => {
    await f.start();
    const created = await f.orderCreated(300);
    const [expiry] = await fired(created.data.id);
    await waitFor(async () => (await f.jobsOf(created.data.id))[0]?.finishedOn, {
      message: 'job finished',
    });
    // What the orders service writes on that expiration.complete: it names it as its cause.
    await f.bus.publish({
      ...createEnvelope(
        'order.cancelled',
        { id: created.data.id, version: 1, ticket: { id: created.data.ticket.id } },
        randomUUID(),
      ),
      causationId: expiry!.id,
    });
    await waitFor(() => f.caughtUp('order.cancelled'), { message: 'cancellation handled' });
    expect((await f.jobsOf(created.data.id))[0]?.finishedOn).toBeDefined();

    await expectLateDuplicateIgnored(created);
  });

  it("when a burst of cancels mixes the orders' own expiries and buyers' cancels, then only the buyers' jobs are dropped", async () => {
    await f.start();
    const orders = await Promise.all(Array.from({ length: 40 }, () => f.orderCreated(60_000)));
    await waitFor(
      async () =>
        (await Promise.all(orders.map((o) => f.jobsOf(o.data.id)))).every((j) => j.length === 1),
      { message: 'every job scheduled' },
    );
    // Even ones name their own expiry as the cause (as orders writes them on an
    // expiration.complete); odd ones are a buyer's. Published together, they come in batches.
    await Promise.all(
      orders.map((created, i) =>
        f.bus.publish({
          ...createEnvelope(
            'order.cancelled',
            { id: created.data.id, version: 1, ticket: { id: created.data.ticket.id } },
            randomUUID(),
          ),
          ...(i % 2 === 0 ? { causationId: created.data.id } : {}),
        }),
      ),
    );
    await waitFor(() => f.caughtUp('order.cancelled'), { message: 'cancellations handled' });
    const jobs = await Promise.all(orders.map((o) => f.jobsOf(o.data.id)));
    expect(jobs.map((j) => j.length)).toEqual(orders.map((_, i) => (i % 2 === 0 ? 1 : 0)));
  });

  it('when order.cancelled is handled before order.created, then the order never expires', async () => {
    await f.start();
    const orderId = randomUUID();
    await f.publish('order.cancelled', { id: orderId, version: 1, ticket: { id: randomUUID() } });
    await waitFor(() => f.caughtUp('order.cancelled'), { message: 'cancellation handled' });
    await f.orderCreated(300, orderId);
    await waitFor(() => f.caughtUp('order.created'), { message: 'creation handled' });
    expect(await f.jobsOf(orderId)).toEqual([]);

    const later = await f.orderCreated(600);
    await fired(later.data.id);
    expect(await expirationsOf(f.bus, orderId)).toEqual([]);
  });

  it('when the service is down at expiresAt, then the order expires as soon as it is back', async () => {
    await f.start();
    const created = await f.orderCreated(400);
    await waitFor(async () => (await f.jobsOf(created.data.id)).length === 1, {
      message: 'job scheduled',
    });
    await f.stop();

    const expiresAt = Date.parse(created.data.expiresAt);
    await waitFor(() => Date.now() > expiresAt + 300, { message: 'expiresAt passed' });
    expect(await expirationsOf(f.bus, created.data.id)).toEqual([]);

    const restartedAt = Date.now();
    await f.start();
    const [event] = await fired(created.data.id, 3_000);
    expect(Date.parse(event!.occurredAt)).toBeGreaterThanOrEqual(restartedAt);
  });

  it('when several orders expire at the same moment, then each fires once', async () => {
    await f.start();
    const orders = await Promise.all(Array.from({ length: 20 }, () => f.orderCreated(700)));
    for (const created of orders) await fired(created.data.id);
    for (const created of orders) {
      expect(await expirationsOf(f.bus, created.data.id)).toHaveLength(1);
    }
  });
});
