import { scrapeMetric } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentsFixture, type PaymentsFixture } from './fixtures.js';

describe('payments /metrics after real actions', () => {
  let fx: PaymentsFixture;
  const metric = (name: string, labels: Record<string, string> = {}) =>
    scrapeMetric(fx.app, name, labels);
  const payments = (outcome: string) => metric('gittix_payments_total', { outcome });

  beforeAll(async () => {
    fx = await createPaymentsFixture();
  });
  afterAll(() => fx?.close());

  it('when the provider keeps no fee (the sandbox), then no processing_fee kind is exported', async () => {
    const body = (await fx.app.inject({ url: '/metrics' })).body;
    expect(body).toContain('gittix_payments_unsettled{kind="capture"');
    expect(body).not.toContain('kind="processing_fee"');
  });

  it('when a card is declined, then declined counts it and nothing is authorized', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const [declined, authorized] = [await payments('declined'), await payments('authorized')];
    const response = await fx.pay(buyer.headers, {
      orderId: order.id,
      token: 'tok_chargeDeclined',
    });
    expect(response.statusCode).toBe(402);
    expect(await payments('declined')).toBe(declined + 1);
    expect(await payments('authorized')).toBe(authorized);
  });

  it('when an order is paid and completes, then authorized, the capture waiting and captured move in turn', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const [authorized, captured] = [await payments('authorized'), await payments('captured')];
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    expect(await payments('authorized')).toBe(authorized + 1);

    await fx.completeOrder(order, paid.json().id);
    expect(await metric('gittix_payments_unsettled', { kind: 'capture' })).toBe(1);
    expect(
      await metric('gittix_payments_oldest_unsettled_age_seconds', { kind: 'capture' }),
    ).toBeGreaterThanOrEqual(0);
    await fx.settle();
    expect(await payments('captured')).toBe(captured + 1);
    expect(await metric('gittix_payments_unsettled', { kind: 'capture' })).toBe(0);
  });

  it('when a paid order is cancelled, then voided counts the released hold once', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const voided = await payments('voided');
    await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    await fx.cancelOrder(order);
    expect(await metric('gittix_payments_unsettled', { kind: 'void' })).toBe(1);
    await fx.settle();
    await fx.settle();
    expect(await payments('voided')).toBe(voided + 1);
  });

  it('when scraped, then the pools of paying and settling are there apart from the shared ones', async () => {
    const body = (await fx.app.inject({ url: '/metrics' })).body;
    for (const pool of ['requests', 'events', 'pay', 'settler', 'sandbox']) {
      expect(body).toContain(`gittix_db_pool_waiting_requests{pool="${pool}"`);
    }
  });
});
