import { scrapeMetric, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('orders /metrics after real actions', () => {
  let f: OrdersFixture;
  const metric = (name: string, labels: Record<string, string> = {}) =>
    scrapeMetric(f.app, name, labels);
  const orders = (outcome: string) => metric('gittix_orders_total', { outcome });

  beforeAll(async () => {
    f = await createOrdersFixture();
    await f.startConsumers();
  });
  afterAll(() => f?.close());

  it('when an order is placed, then created counts it and the outbox shows it until the relay publishes it', async () => {
    await f.relay.drain();
    const created = await orders('created');
    await f.placeOrder();
    expect(await orders('created')).toBe(created + 1);
    expect(await metric('gittix_outbox_pending_events')).toBe(1);
    await waitFor(async () => (await metric('gittix_outbox_oldest_pending_age_seconds')) > 0, {
      message: 'the unsent event to age',
    });
    await f.relay.drain();
    expect(await metric('gittix_outbox_pending_events')).toBe(0);
    expect(await metric('gittix_outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('when the buyer cancels twice, then cancelled counts one', async () => {
    const { order, buyer } = await f.placeOrder();
    const cancelled = await orders('cancelled');
    for (let i = 0; i < 2; i++) {
      const response = await f.app.inject({
        method: 'DELETE',
        url: `/api/orders/${order.id}`,
        headers: buyer.headers,
      });
      expect(response.statusCode).toBe(204);
    }
    expect(await orders('cancelled')).toBe(cancelled + 1);
  });

  it('when an order expires, then expired counts it after the commit and the handler is timed by subject', async () => {
    const { order } = await f.placeOrder();
    const expired = await orders('expired');
    const handled = await metric('gittix_event_handler_duration_seconds_count', {
      subject: 'expiration.complete',
      outcome: 'ok',
    });
    await f.publish('expiration.complete', { orderId: order.id });
    await waitFor(async () => (await orders('expired')) === expired + 1, {
      message: 'gittix_orders_total{outcome="expired"} to count the expiry',
    });
    expect(
      await metric('gittix_event_handler_duration_seconds_count', {
        subject: 'expiration.complete',
        outcome: 'ok',
      }),
    ).toBeGreaterThan(handled);
    // The same expiry again changes nothing, so counts nothing.
    await f.publish('expiration.complete', { orderId: order.id });
    await waitFor(async () => f.caughtUp('expiration.complete'), { message: 'caught up' });
    expect(await orders('expired')).toBe(expired + 1);
  });

  it('when many orders expire at once (handled in batches), then expired counts each once', async () => {
    const placed = [];
    for (let i = 0; i < 12; i++) placed.push(await f.placeOrder());
    const expired = await orders('expired');
    await Promise.all(
      placed.map(({ order }) => f.publish('expiration.complete', { orderId: order.id })),
    );
    await waitFor(async () => (await orders('expired')) === expired + placed.length, {
      message: 'every expiry of the burst to be counted',
    });
    await waitFor(async () => f.caughtUp('expiration.complete'), { message: 'caught up' });
    expect(await orders('expired')).toBe(expired + placed.length);
  });

  it('when a payment completes an order, then completed counts it', async () => {
    const { order } = await f.placeOrder();
    const completed = await orders('completed');
    await f.deliver('payment.created', {
      id: crypto.randomUUID(),
      orderId: order.id,
      providerId: 'pi_test',
    });
    await waitFor(async () => (await orders('completed')) === completed + 1, {
      message: 'gittix_orders_total{outcome="completed"} to count the payment',
    });
  });

  it('when an event cannot be parsed, then it is dead-lettered and counted for its consumer', async () => {
    const consumer = 'orders_expiration_complete';
    const before = await metric('gittix_dead_letters_total', { consumer });
    await f.bus.js.publish(f.bus.subjectOf('expiration.complete'), 'not an event');
    await waitFor(
      async () => (await metric('gittix_dead_letters_total', { consumer })) === before + 1,
      { message: 'the dead letter to be counted' },
    );
    expect(
      await metric('gittix_event_handler_duration_seconds_count', {
        subject: 'expiration.complete',
        outcome: 'dead_letter',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('when scraped, then pool usage, consumer lag and every series carry gittix_service, never service', async () => {
    const body = (await f.app.inject({ url: '/metrics' })).body;
    expect(body).toMatch(/gittix_db_pool_connections\{[^}]*pool="requests"[^}]*state="idle"/);
    expect(body).toMatch(/gittix_db_pool_waiting_requests\{[^}]*pool="events"/);
    expect(body).toMatch(/gittix_consumer_lag_messages\{[^}]*consumer="orders_ticket_created"/);
    expect(body).toMatch(/gittix_consumer_redelivered_messages\{/);
    expect(body).toMatch(/gittix_service="orders"/);
    expect(body).not.toMatch(/[{,]service="/);
  });
});
