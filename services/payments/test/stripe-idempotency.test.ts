import { startStripeStandIn, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPaymentsFixture,
  type PaymentsFixture,
  standInStripeProvider,
  storedFor,
} from './fixtures.js';

const STILL_CONFIRMING =
  'An earlier payment attempt for this order is still being confirmed; try again in a minute';

/**
 * Stripe refuses an idempotency key reused with other parameters, and a buyer's
 * browser tokenizes the card afresh on every submit: one key per attempt row, and a
 * refused key leaves the row for the reconciler (the real SDK against the stand-in).
 */
describe('Stripe idempotency keys across payment attempts', () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    const provider = standInStripeProvider(standIn);
    fx = await createPaymentsFixture({
      provider,
      env: { PAYMENTS_RECONCILE_AFTER_MS: '50' },
    });
  });
  afterEach(() => {
    standIn.state.mode = 'up';
    standIn.state.delayMs = 0;
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const intentsFor = (orderId: string) =>
    standIn.paymentIntentRequests().filter((r) => r.params.get('metadata[orderId]') === orderId);
  const heldFor = (orderId: string) =>
    [...standIn.intents.values()].filter((i) => i.metadata.orderId === orderId);
  const publishedFor = async (orderId: string) =>
    (await fx.publishedPayments()).filter((m) => m.body.data.orderId === orderId);

  /** Pays with `token` while Stripe answers after the timeout: 503, the attempt left pending. */
  async function payTimingOut(
    buyer: Awaited<ReturnType<PaymentsFixture['buyer']>>,
    orderId: string,
    token: string,
  ) {
    standIn.state.delayMs = 1_500;
    const timedOut = await fx.pay(buyer.headers, { orderId, token });
    standIn.state.delayMs = 0;
    expect(timedOut.statusCode).toBe(503);
    const [pending, ...more] = (await storedFor(fx.db, orderId)).payments;
    expect(more).toEqual([]);
    expect(pending).toMatchObject({ status: 'pending', provider_id: null });
    return pending!;
  }

  it('when a payment times out and the buyer retries with another card, then 400 says the earlier attempt is still being confirmed, the attempt stays pending, and reconciliation records the first PaymentIntent once', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const pending = await payTimingOut(buyer, order.id, 'tok_visa');
    const [first] = heldFor(order.id);
    expect(first?.status).toBe('requires_capture');
    const created = standIn.state.paymentIntentsCreated;

    const retried = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_mastercard' });
    expect(retried.json()).toEqual({ errors: [{ message: STILL_CONFIRMING }] });
    expect(retried.statusCode).toBe(400);
    // Stripe refused the key: nothing new was authorized, and the attempt is kept, unclaimed.
    expect(standIn.state.paymentIntentsCreated).toBe(created);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toMatchObject([
      { id: pending.id, status: 'pending', idempotency_key: pending.idempotency_key },
    ]);
    expect(stored.payments[0]!.claimed_until!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stored.declines).toEqual([]);
    expect(new Set(intentsFor(order.id).map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([pending.idempotency_key]),
    );

    await waitFor(
      async () => {
        await fx.settle();
        return (await fx.paymentRow(pending.id)).status === 'authorized';
      },
      { timeoutMs: 5_000, message: 'the attempt reconciled' },
    );
    expect((await fx.paymentRow(pending.id)).provider_id).toBe(first!.id);
    expect(heldFor(order.id)).toHaveLength(1);
    expect(await publishedFor(order.id)).toHaveLength(1);
    const again = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_mastercard' });
    expect(again.json()).toEqual({ errors: [{ message: 'Order already paid' }] });
  });

  it('when a payment times out, another card is refused as still confirming, and the buyer retries with the first card, then the first PaymentIntent is replayed and recorded once', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const pending = await payTimingOut(buyer, order.id, 'tok_visa');
    const other = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_mastercard' });
    expect(other.json()).toEqual({ errors: [{ message: STILL_CONFIRMING }] });

    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    const [first, ...more] = heldFor(order.id);
    expect(more).toEqual([]);
    expect(paid.json()).toMatchObject({
      id: pending.id,
      status: 'authorized',
      providerId: first!.id,
    });
    expect(await publishedFor(order.id)).toHaveLength(1);
  });

  it('when an attempt Stripe declined is dropped by reconciliation and the buyer pays again, then the new attempt uses a new key and succeeds', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    // Stripe declined it, but the answer came too late: the attempt's outcome is unknown.
    const dropped = await payTimingOut(buyer, order.id, 'tok_chargeDeclined');
    expect(heldFor(order.id)).toEqual([]);
    // Older than Stripe's search lag: reconciliation finds no PaymentIntent and drops it.
    await sql`UPDATE payments SET created_at = now() - interval '10 minutes',
      attempted_at = now() - interval '10 minutes' WHERE id = ${dropped.id}`.execute(fx.db);
    await waitFor(
      async () => {
        await fx.settle();
        return (await storedFor(fx.db, order.id)).payments.length === 0;
      },
      { timeoutMs: 5_000, message: 'the attempt dropped' },
    );

    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.json()).toMatchObject({ status: 'authorized', providerId: expect.any(String) });
    expect(paid.statusCode).toBe(201);
    const [attempt] = (await storedFor(fx.db, order.id)).payments;
    expect(attempt!.id).not.toBe(dropped.id);
    expect(attempt!.idempotency_key).toBe(`payment_${attempt!.id}`);
    expect(intentsFor(order.id).map((r) => r.headers['idempotency-key'])).toEqual([
      dropped.idempotency_key,
      attempt!.idempotency_key,
    ]);
    expect(heldFor(order.id).map((i) => i.id)).toEqual([paid.json().providerId]);
    expect(await publishedFor(order.id)).toHaveLength(1);
  });
});
