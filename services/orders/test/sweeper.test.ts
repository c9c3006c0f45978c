import { connectRedis, createDb } from '@gittix/common';
import {
  createTestEnvironment,
  scrapeMetric,
  type TestEnvironment,
  testInfra,
  testLogger,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The expiration service's fixture: the lost-job test needs both services on one stream.
import {
  createExpirationFixture,
  type ExpirationFixture,
  expirationsOf,
} from '../../expiration/test/fixtures.js';
import type { OrdersDatabase } from '../src/db/schema.js';
import { sweepOverdueOrders } from '../src/sweeper.js';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

const statusOf = async (f: OrdersFixture, orderId: string) =>
  (
    await f.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', orderId)
      .executeTakeFirstOrThrow()
  ).status;

/** Moves an order's hold into the past, as if it had been placed `secondsAgo` earlier. */
async function expireAgo(f: OrdersFixture, orderId: string, secondsAgo: number) {
  await f.db
    .updateTable('orders')
    .set({ expires_at: new Date(Date.now() - secondsAgo * 1000) })
    .where('id', '=', orderId)
    .execute();
}

describe('order sweeper: Redis is an accelerator, not the only source of truth', () => {
  let environment: TestEnvironment;
  let orders: OrdersFixture;
  let expiration: ExpirationFixture;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    orders = await createOrdersFixture({
      // Long enough that the job is surely still delayed when Redis loses it.
      orderExpirationSeconds: 5,
      environment,
      env: { ORDER_SWEEP_GRACE_SECONDS: '1', ORDER_SWEEP_INTERVAL_MS: '200' },
    });
    await orders.start();
    expiration = await createExpirationFixture({ environment });
    await expiration.start();
  });
  afterAll(async () => {
    await expiration?.close();
    await orders?.close();
    await environment?.close();
  });

  it("when Redis loses the order's expiry job, then the order still ends cancelled and its ticket can be ordered again", async () => {
    const { ticket, order } = await orders.placeOrder();
    // The expiration service has scheduled the job...
    await waitFor(async () => (await expiration.jobsOf(order.id)).length === 1, {
      message: 'expiry job scheduled',
    });
    // ...and Redis loses everything of this test's (a FLUSHALL, but only our own keys:
    // the Redis server is shared with other runs).
    const redis = connectRedis(testInfra.redisUrl);
    try {
      const keys = await redis.keys(`${expiration.prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      await redis.quit();
    }
    expect(await expiration.jobsOf(order.id)).toEqual([]);

    await waitFor(async () => (await statusOf(orders, order.id)) === 'cancelled', {
      timeoutMs: 20_000,
      message: 'overdue order cancelled by the sweeper',
    });
    // The sweeper did it: no expiration ever fired for this order.
    expect(await expirationsOf(orders.bus, order.id)).toEqual([]);
    expect(Date.now()).toBeGreaterThan(Date.parse(order.expiresAt) + 1_000);
    const cancelled = await waitFor(
      async () => {
        const mine = (await environment.publishedEvents('order.cancelled')).filter(
          (e) => e.data.id === order.id,
        );
        return mine.length > 0 && mine;
      },
      { message: 'order.cancelled published' },
    );
    expect(cancelled.map((e) => e.data)).toEqual([
      {
        id: order.id,
        version: 1,
        ticket: { id: ticket.id },
        userId: order.userId,
        reason: 'expired',
      },
    ]);
    const again = await orders.orderTicket(ticket.id, (await orders.signIn()).headers);
    expect(again.statusCode).toBe(201);
  });
});

describe('sweepOverdueOrders', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
    await f.startConsumers();
  });
  afterAll(() => f?.close());

  it('when an open order stays past its expiresAt, then gittix_orders_overdue_seconds shows how late it is until it ends', async () => {
    const { order } = await f.placeOrder();
    await expireAgo(f, order.id, 900);
    // Nothing has ended it: neither an expiry nor the sweeper (not started here).
    expect(await scrapeMetric(f.app, 'gittix_orders_overdue_seconds')).toBeGreaterThanOrEqual(900);
    await sweepOverdueOrders(f.db, { graceSeconds: 0, logger: testLogger });
    expect(await statusOf(f, order.id)).toBe('cancelled');
    expect(await scrapeMetric(f.app, 'gittix_orders_overdue_seconds')).toBe(0);
  });

  it('when an unpaid order is past expiresAt by less than the grace, then it is left to the expiration service', async () => {
    const { order } = await f.placeOrder();
    await expireAgo(f, order.id, 5);
    await sweepOverdueOrders(f.db, { graceSeconds: 30, logger: testLogger });
    expect(await statusOf(f, order.id)).toBe('created');
  });

  it('when paid or cancelled orders are overdue, then the sweeper leaves them as they are', async () => {
    const { order: paid } = await f.placeOrder();
    await f.db
      .updateTable('orders')
      .set({ status: 'complete' })
      .where('id', '=', paid.id)
      .execute();
    await expireAgo(f, paid.id, 60);
    await sweepOverdueOrders(f.db, { graceSeconds: 30, logger: testLogger });
    expect(await statusOf(f, paid.id)).toBe('complete');
  });

  it('when the sweeper cancelled an order and expiration.complete arrives late, then one order.cancelled in all', async () => {
    const { order } = await f.placeOrder();
    await expireAgo(f, order.id, 60);
    expect(
      await sweepOverdueOrders(f.db, { graceSeconds: 30, logger: testLogger }),
    ).toBeGreaterThanOrEqual(1);
    expect(await statusOf(f, order.id)).toBe('cancelled');
    await f.deliver('expiration.complete', { orderId: order.id });
    const row = await f.db
      .selectFrom('orders')
      .select(['status', 'version'])
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'cancelled', version: 1 });
    const events = await f.publishedEvents('order.cancelled');
    expect(events.filter((e) => e.data.id === order.id)).toHaveLength(1);
  });

  it('when three replicas sweep the same overdue orders at once, then each order is cancelled exactly once', async () => {
    const placed = await Promise.all(Array.from({ length: 40 }, () => f.placeOrder()));
    for (const { order } of placed) await expireAgo(f, order.id, 60);
    // Each replica has a pool of its own, as separate processes would.
    const url = f.environment.databaseUrl('orders');
    const replicas = Array.from({ length: 3 }, () => createDb<OrdersDatabase>(url, { max: 2 }));
    try {
      const swept = await Promise.all(
        replicas.map((db) =>
          sweepOverdueOrders(db, { graceSeconds: 30, batchSize: 15, logger: testLogger }),
        ),
      );
      // Whatever a full batch left over, the next sweep takes.
      let total = swept.reduce((a, b) => a + b, 0);
      for (;;) {
        const more = await sweepOverdueOrders(f.db, { graceSeconds: 30, logger: testLogger });
        total += more;
        if (more === 0) break;
      }
      expect(total).toBe(40);
      // More than one replica did some of the work: they shared it instead of queueing.
      expect(swept.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all(replicas.map((db) => db.destroy()));
    }
    const ids = new Set(placed.map((p) => p.order.id));
    const events = (await f.publishedEvents('order.cancelled')).filter((e) => ids.has(e.data.id));
    expect(events).toHaveLength(40);
    expect(new Set(events.map((e) => e.data.id)).size).toBe(40);
    for (const { order } of placed) {
      expect(await statusOf(f, order.id)).toBe('cancelled');
    }
  });
});
