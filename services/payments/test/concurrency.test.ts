import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChargeRequest, PaymentProvider, RefundRequest } from '../src/providers/index.js';
import { SandboxProvider } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, storedFor } from './fixtures.js';

/** The sandbox, except that charges for the orders in `hangFor` never answer. */
class HangingProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly hangFor = new Set<string>();
  readonly keys: string[] = [];
  constructor(readonly sandbox = new SandboxProvider()) {}
  charge(request: ChargeRequest) {
    this.keys.push(request.idempotencyKey);
    if (this.hangFor.has(request.metadata.orderId!)) return new Promise<never>(() => {});
    return this.sandbox.charge(request);
  }
  refund(request: RefundRequest) {
    return this.sandbox.refund(request);
  }
}

describe('paying under concurrency and provider trouble', () => {
  let fx: PaymentsFixture;
  const provider = new HangingProvider();

  beforeAll(async () => {
    fx = await createPaymentsFixture({ provider, providerTimeoutMs: 300 });
  });
  afterAll(() => fx?.close());

  it('when ten requests pay for one order at once, then one succeeds, nine say already paid and the card is charged once', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const callsBefore = provider.sandbox.chargeCalls;
    const chargesBefore = provider.sandbox.chargesMade;

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' }),
      ),
    );

    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    for (const rejected of responses.filter((r) => r.statusCode === 400)) {
      expect(rejected.json()).toEqual({ errors: [{ message: 'Order already paid' }] });
    }
    expect(provider.sandbox.chargeCalls - callsBefore).toBe(1);
    expect(provider.sandbox.chargesMade - chargesBefore).toBe(1);
    expect((await storedFor(fx.db, order.id)).payments).toHaveLength(1);
    const published = await fx.publishedPayments();
    expect(published.filter((m) => m.body.data.orderId === order.id)).toHaveLength(1);
  });

  it('when the provider does not answer in time, then 503, nothing is recorded, and a retry reuses the same attempt key', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    provider.hangFor.add(order.id);
    const started = Date.now();
    const stalled = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    provider.hangFor.delete(order.id);

    expect(stalled.statusCode).toBe(503);
    expect(stalled.json()).toEqual({
      errors: [{ message: 'Payment provider did not answer in time, try again' }],
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toEqual([]);
    expect(stored.declines).toEqual([]);

    const retried = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(retried.statusCode).toBe(201);
    const keys = provider.keys.filter((key) => key.includes(order.id));
    expect(keys).toEqual([`order_${order.id}_0`, `order_${order.id}_0`]);
  });

  it('when a stalled attempt holds an order, then other orders are paid meanwhile', async () => {
    const buyer = await fx.buyer();
    const stuck = await fx.createOrder(buyer.id);
    const free = await fx.createOrder(buyer.id);
    provider.hangFor.add(stuck.id);
    const stalled = fx.pay(buyer.headers, { orderId: stuck.id, token: 'tok_visa' });
    await waitFor(() => provider.keys.includes(`order_${stuck.id}_0`), { message: 'stuck charge' });
    const paid = await fx.pay(buyer.headers, { orderId: free.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    expect((await stalled).statusCode).toBe(503);
    provider.hangFor.delete(stuck.id);
  });
});
