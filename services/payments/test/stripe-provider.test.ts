import type { EventEnvelope } from '@gittix/common';
import {
  STAND_IN_SECRET_KEY,
  startStripeStandIn,
  streamMessages,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sellerBalance } from '../src/ledger.js';
import {
  createPaymentsFixture,
  type PaymentsFixture,
  standInStripeProvider,
  storedFor,
} from './fixtures.js';
import { postStripeWebhook, signStripe, stripeEvent } from './stripe-events.js';

const WEBHOOK_SECRET = 'whsec_gittix_test_secret';

describe('paying through Stripe (the real SDK against a local stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    const provider = standInStripeProvider(standIn);
    fx = await createPaymentsFixture({
      provider,
      env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, PAYMENTS_RECONCILE_AFTER_MS: '50' },
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

  it("when paid with tok_visa, then a confirmed manual-capture PaymentIntent is created with the attempt's own idempotency key", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({
      id: expect.any(String),
      orderId: order.id,
      amount: 25.5,
      fee: 2.55,
      refunded: 0,
      status: 'authorized',
      providerId: expect.stringMatching(/^pi_/),
      createdAt: expect.any(String),
    });
    expect(standIn.intents.get(response.json().providerId)?.status).toBe('requires_capture');
    const [sent, ...more] = intentsFor(order.id);
    expect(more).toEqual([]);
    expect(sent!.method).toBe('POST');
    expect(sent!.headers.authorization).toBe(`Bearer ${STAND_IN_SECRET_KEY}`);
    expect(sent!.headers['idempotency-key']).toBe(`payment_${response.json().id}`);
    expect(Object.fromEntries(sent!.params)).toMatchObject({
      amount: '2550',
      currency: 'usd',
      confirm: 'true',
      capture_method: 'manual',
      'metadata[paymentId]': response.json().id,
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
    const sent = intentsFor(order.id);
    const [declinedId, paidId] = sent.map((r) => r.params.get('metadata[paymentId]'));
    expect(paidId).toBe(paid.json().id);
    expect(declinedId).not.toBe(paidId);
    expect(sent.map((r) => r.headers['idempotency-key'])).toEqual([
      `payment_${declinedId}`,
      `payment_${paidId}`,
    ]);
  });

  it('when Stripe answers 500, then 503 in the error shape, the attempt stays pending and unpublished; once it recovers the same attempt succeeds', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.mode = 'error';
    const down = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({
      errors: [{ message: 'Payment provider unavailable, try again later' }],
    });
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toMatchObject([{ status: 'pending', provider_id: null }]);
    expect(stored.declines).toEqual([]);
    expect((await fx.publishedPayments()).filter((m) => m.body.data.orderId === order.id)).toEqual(
      [],
    );

    standIn.state.mode = 'up';
    const recovered = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(recovered.statusCode).toBe(201);
    expect(new Set(intentsFor(order.id).map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([`payment_${recovered.json().id}`]),
    );
  });

  it('when Stripe drops the connection, then 503 and only the pending attempt is stored', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.mode = 'hangup';
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(503);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toMatchObject([{ status: 'pending' }]);
    expect(stored.declines).toEqual([]);
  });

  it('when Stripe authorizes but answers after the timeout, then 503, and reconciliation finds the PaymentIntent by its metadata and records it', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.delayMs = 1_500;
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(503);
    standIn.state.delayMs = 0;
    const [pending] = (await storedFor(fx.db, order.id)).payments;
    expect(pending).toMatchObject({ status: 'pending', provider_id: null });
    const intent = [...standIn.intents.values()].find((i) => i.metadata.orderId === order.id);
    expect(intent?.status).toBe('requires_capture');

    await waitFor(async () => (await fx.settle()).reconciled > 0, { timeoutMs: 5_000 });
    const searches = standIn.requests.filter((r) => r.path === '/v1/payment_intents/search');
    expect(searches.length).toBeGreaterThan(0);
    expect((await fx.paymentRow(pending!.id)).provider_id).toBe(intent!.id);
    expect((await fx.paymentRow(pending!.id)).status).toBe('authorized');
    const published = await fx.publishedPayments();
    expect(published.filter((m) => m.body.data.id === pending!.id)).toHaveLength(1);
    // One PaymentIntent for the order, however it was found.
    expect(intentsFor(order.id)).toHaveLength(1);
  });

  it("when Stripe's search does not show an attempt yet, then reconciliation waits out its lag instead of dropping the attempt", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.mode = 'error';
    expect((await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).statusCode).toBe(
      503,
    );
    standIn.state.mode = 'up';
    const [pending] = (await storedFor(fx.db, order.id)).payments;
    await fx.db
      .updateTable('payments')
      .set({ updated_at: new Date(Date.now() - 60_000) })
      .where('id', '=', pending!.id)
      .execute();
    await fx.settle();
    // Not found (Stripe never got it), but younger than the search lag: kept.
    expect((await fx.paymentRow(pending!.id)).status).toBe('pending');
    expect(standIn.requests.some((r) => r.path === '/v1/payment_intents/search')).toBe(true);
  });

  it('when a retry follows a timeout after success, then Stripe replays the same PaymentIntent (idempotency key) and it is recorded once', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    standIn.state.delayMs = 1_500;
    expect((await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).statusCode).toBe(
      503,
    );
    standIn.state.delayMs = 0;
    const created = standIn.state.paymentIntentsCreated;
    const retried = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(retried.statusCode).toBe(201);
    expect(standIn.state.paymentIntentsCreated).toBe(created);
    expect(new Set(intentsFor(order.id).map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([`payment_${retried.json().id}`]),
    );
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
    // The rest: already paid (400), or refused by the per-user in-flight limit (429).
    expect(responses.filter((r) => [400, 429].includes(r.statusCode))).toHaveLength(9);
    expect(intentsFor(order.id)).toHaveLength(1);
    expect(standIn.state.paymentIntentsCreated - createdBefore).toBe(1);
  });

  it('when the order completes, then the PaymentIntent is captured; when another is cancelled, its PaymentIntent is canceled', async () => {
    const buyer = await fx.buyer();
    const sold = await fx.createOrder(buyer.id);
    const dropped = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: sold.id, token: 'tok_visa' })).json();
    const held = (await fx.pay(buyer.headers, { orderId: dropped.id, token: 'tok_visa' })).json();
    await fx.completeOrder(sold, paid.id);
    await fx.cancelOrder(dropped);
    await fx.settle();

    expect(standIn.intents.get(paid.providerId)?.status).toBe('succeeded');
    expect(standIn.intents.get(held.providerId)?.status).toBe('canceled');
    const captureCall = standIn.requests.find((r) => r.path.endsWith(`${paid.providerId}/capture`));
    expect(captureCall?.headers['idempotency-key']).toBe(`capture_${paid.id}`);
    const cancelCall = standIn.requests.find((r) => r.path.endsWith(`${held.providerId}/cancel`));
    expect(cancelCall?.headers['idempotency-key']).toBe(`void_${held.id}`);
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    expect((await fx.paymentRow(held.id)).status).toBe('voided');
  });

  it('when a captured payment is refunded (its order cancelled anyway), then a Stripe refund of the PaymentIntent is created and the ledger is reversed', async () => {
    const { order, paid } = await fx.capturedSale();
    // Only an older release could cancel a completed order; the refund path stays for it.
    await fx.cancelOrder(order, 5);
    await fx.settle();

    const refund = standIn.requests.find(
      (r) => r.path === '/v1/refunds' && r.params.get('payment_intent') === paid.providerId,
    );
    expect(refund?.headers['idempotency-key']).toBe(`refund_${paid.id}`);
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'refunded',
      refund_id: expect.stringMatching(/^re_/),
    });
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({ availableCents: 0 });
  });

  describe('POST /api/payments/webhooks/stripe', () => {
    const deliver = (payload: string, signature?: string) =>
      postStripeWebhook(fx.app, payload, signature);
    const eventOf = (type: string, object: object) => stripeEvent(type, object);
    const sign = (payload: string, secret = WEBHOOK_SECRET) => signStripe(payload, secret);

    it('when the signature is missing or wrong, then 400 and nothing changes', async () => {
      const buyer = await fx.buyer();
      const order = await fx.createOrder(buyer.id);
      const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
      const intent = { ...standIn.intents.get(paid.providerId)!, status: 'canceled' };
      const payload = eventOf('payment_intent.canceled', intent);

      for (const response of [
        await deliver(payload),
        await deliver(payload, sign(payload, 'whsec_someone_else')),
        await deliver(payload, 't=1,v1=deadbeef'),
        await deliver(`${payload} `, sign(payload)),
      ]) {
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual({
          errors: [{ message: 'Missing or invalid stripe-signature' }],
        });
      }
      expect((await fx.paymentRow(paid.id)).status).toBe('authorized');
    });

    it('when Stripe says a PaymentIntent was canceled, then the payment is voided, once however often it is said', async () => {
      const buyer = await fx.buyer();
      const order = await fx.createOrder(buyer.id);
      const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
      const intent = { ...standIn.intents.get(paid.providerId)!, status: 'canceled' };
      const payload = eventOf('payment_intent.canceled', intent);
      for (let i = 0; i < 3; i++) {
        const response = await deliver(payload, sign(payload));
        expect(response.statusCode).toBe(200);
      }
      expect((await fx.paymentRow(paid.id)).status).toBe('voided');
      await fx.relay.drain();
      const voided = await streamMessages<EventEnvelope<'payment.voided'>>(fx.bus, {
        subject: fx.bus.subjectOf('payment.voided'),
      });
      expect(voided.filter((m) => m.body.data.id === paid.id)).toHaveLength(1);
    });

    it('when Stripe says a pending attempt was authorized, then it is recorded without waiting for reconciliation', async () => {
      const buyer = await fx.buyer();
      const order = await fx.createOrder(buyer.id);
      standIn.state.delayMs = 1_500;
      expect(
        (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).statusCode,
      ).toBe(503);
      standIn.state.delayMs = 0;
      const intent = [...standIn.intents.values()].find((i) => i.metadata.orderId === order.id)!;
      const payload = eventOf('payment_intent.amount_capturable_updated', intent);
      expect((await deliver(payload, sign(payload))).statusCode).toBe(200);
      const [row] = (await storedFor(fx.db, order.id)).payments;
      expect(row).toMatchObject({ status: 'authorized', provider_id: intent.id });
    });

    it('when Stripe reports on a PaymentIntent this service does not know, then 200 and nothing changes', async () => {
      const payload = eventOf('payment_intent.succeeded', {
        id: 'pi_unknown',
        object: 'payment_intent',
        status: 'succeeded',
        metadata: {},
      });
      expect((await deliver(payload, sign(payload))).statusCode).toBe(200);
    });
  });
});
