import { testLogger } from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStripeProvider } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, storedFor } from './fixtures.js';
import { STAND_IN_SECRET_KEY, startStripeStandIn } from './stripe-stand-in.js';

describe('paying through Stripe (the real SDK against a local stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    const provider = createStripeProvider({
      secretKey: STAND_IN_SECRET_KEY,
      apiBase: standIn.url,
      timeoutMs: 5_000,
      maxNetworkRetries: 0,
      logger: testLogger,
    });
    fx = await createPaymentsFixture({ provider });
  });
  afterEach(() => {
    standIn.state.mode = 'up';
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const intentsFor = (orderId: string) =>
    standIn.paymentIntentRequests().filter((r) => r.params.get('metadata[orderId]') === orderId);

  it('when paid with tok_visa, then a confirmed card PaymentIntent is created with the order as idempotency key', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({
      id: expect.any(String),
      orderId: order.id,
      amount: 25.5,
      providerId: expect.stringMatching(/^pi_/),
    });
    const [sent, ...more] = intentsFor(order.id);
    expect(more).toEqual([]);
    expect(sent!.method).toBe('POST');
    expect(sent!.headers.authorization).toBe(`Bearer ${STAND_IN_SECRET_KEY}`);
    expect(sent!.headers['idempotency-key']).toBe(`order_${order.id}_0`);
    expect(Object.fromEntries(sent!.params)).toMatchObject({
      amount: '2550',
      currency: 'usd',
      confirm: 'true',
      'automatic_payment_methods[enabled]': 'true',
      'automatic_payment_methods[allow_redirects]': 'never',
      'payment_method_data[type]': 'card',
      'payment_method_data[card][token]': 'tok_visa',
      'metadata[orderId]': order.id,
      'metadata[userId]': buyer.id,
    });
    const published = await fx.publishedPayments();
    expect(published.find((m) => m.body.data.orderId === order.id)?.body.data).toEqual({
      id: response.json().id,
      orderId: order.id,
      providerId: response.json().providerId,
    });
  });

  it("when Stripe declines the card, then 402 with Stripe's message, and a retry is a new attempt that succeeds", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const declined = await fx.pay(buyer.headers, {
      orderId: order.id,
      token: 'tok_chargeDeclined',
    });
    expect(declined.statusCode).toBe(402);
    expect(declined.json()).toEqual({ errors: [{ message: 'Your card was declined.' }] });
    expect((await storedFor(fx.db, order.id)).payments).toEqual([]);

    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    expect(intentsFor(order.id).map((r) => r.headers['idempotency-key'])).toEqual([
      `order_${order.id}_0`,
      `order_${order.id}_1`,
    ]);
  });

  it('when Stripe answers 500, then 503 in the error shape and nothing is stored; once it recovers the same attempt succeeds', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.mode = 'error';
    const down = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({
      errors: [{ message: 'Payment provider unavailable, try again later' }],
    });
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toEqual([]);
    expect(stored.declines).toEqual([]);
    expect((await fx.publishedPayments()).filter((m) => m.body.data.orderId === order.id)).toEqual(
      [],
    );

    standIn.state.mode = 'up';
    const recovered = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(recovered.statusCode).toBe(201);
    expect(new Set(intentsFor(order.id).map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([`order_${order.id}_0`]),
    );
  });

  it('when Stripe drops the connection, then 503 and nothing is stored', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.mode = 'hangup';
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(503);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toEqual([]);
    expect(stored.declines).toEqual([]);
  });

  it('when Stripe does not know the token, then 400 on token and nothing is stored', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_unknown' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: "No such token: 'tok_unknown'", field: 'token' }],
    });
    expect((await storedFor(fx.db, order.id)).declines).toEqual([]);
  });

  it('when ten requests pay for one order at once, then Stripe sees one PaymentIntent creation', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const createdBefore = standIn.state.paymentIntentsCreated;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' }),
      ),
    );
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 400)).toHaveLength(9);
    expect(intentsFor(order.id)).toHaveLength(1);
    expect(standIn.state.paymentIntentsCreated - createdBefore).toBe(1);
  });

  it('when the order is cancelled after Stripe charged it, then a Stripe refund of the PaymentIntent is created', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    const payment = paid.json();
    await fx.cancelOrder(order);

    const refunds = standIn.requests.filter((r) => r.path === '/v1/refunds');
    const refund = refunds.find((r) => r.params.get('payment_intent') === payment.providerId);
    expect(refund?.headers['idempotency-key']).toBe(`refund_${payment.id}`);
    expect(refund?.params.get('metadata[orderId]')).toBe(order.id);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments[0]).toMatchObject({
      refunded_at: expect.any(Date),
      refund_id: expect.stringMatching(/^re_/),
    });
  });
});
