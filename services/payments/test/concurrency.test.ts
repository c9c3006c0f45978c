import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizeRequest } from '../src/providers/index.js';
import { SandboxProvider } from '../src/providers/index.js';
import {
  createPaymentsFixture,
  type PaymentsFixture,
  RecordingProvider,
  storedFor,
} from './fixtures.js';

/** The sandbox (recorded), except that authorizations for the orders in `hangFor` never answer. */
class HangingProvider extends RecordingProvider {
  readonly hangFor = new Set<string>();
  /** Every authorization asked for, the hanging ones included. */
  readonly asked: AuthorizeRequest[] = [];
  constructor(readonly sandbox = new SandboxProvider()) {
    super(sandbox);
  }
  override authorize(request: AuthorizeRequest) {
    this.asked.push(request);
    if (this.hangFor.has(request.metadata.orderId)) return new Promise<never>(() => {});
    return super.authorize(request);
  }
}

describe('paying under concurrency and provider trouble', () => {
  let fx: PaymentsFixture;
  const provider = new HangingProvider();

  beforeAll(async () => {
    // Limits high enough that the race, not the abuse limits, decides (limits.test.ts has those).
    fx = await createPaymentsFixture({
      provider,
      providerTimeoutMs: 300,
      env: { PAYMENTS_MAX_IN_FLIGHT_PER_USER: '20', PAYMENTS_MAX_IN_FLIGHT: '20' },
    });
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

  it('when the provider does not answer in time, then 503, the attempt stays pending (unclaimed), and a retry reuses the same attempt key', async () => {
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
    expect(stored.payments).toMatchObject([{ status: 'pending', provider_id: null }]);
    expect(stored.payments[0]!.claimed_until!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stored.declines).toEqual([]);

    const retried = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toMatchObject({ id: stored.payments[0]!.id, status: 'authorized' });
    const keys = provider.asked
      .filter((request) => request.metadata.orderId === order.id)
      .map((request) => request.idempotencyKey);
    expect(keys).toEqual([`payment_${retried.json().id}`, `payment_${retried.json().id}`]);
  });

  it('when a stalled attempt holds an order, then other orders are paid meanwhile', async () => {
    const buyer = await fx.buyer();
    const stuck = await fx.createOrder(buyer.id);
    const free = await fx.createOrder(buyer.id);
    provider.hangFor.add(stuck.id);
    const stalled = fx.pay(buyer.headers, { orderId: stuck.id, token: 'tok_visa' });
    await waitFor(() => provider.asked.some((request) => request.metadata.orderId === stuck.id), {
      message: 'stuck charge',
    });
    const paid = await fx.pay(buyer.headers, { orderId: free.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    expect((await stalled).statusCode).toBe(503);
    provider.hangFor.delete(stuck.id);
  });
});
