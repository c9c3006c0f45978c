import type { Subject } from '@gittix/common';
import { scrapeMetric, startStripeStandIn } from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../src/ledger.js';
import {
  createPaymentsFixture,
  type PaymentsFixture,
  RecordingProvider,
  standInStripeProvider,
} from './fixtures.js';
import { deliverStripeEvent } from './stripe-events.js';

const WEBHOOK_SECRET = 'whsec_gittix_refusals_secret';
const HOUR_MS = 3_600_000;

describe('the settler, when Stripe refuses an action for the PaymentIntent state (the real SDK against the stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let provider: RecordingProvider;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    provider = new RecordingProvider(standInStripeProvider(standIn));
    fx = await createPaymentsFixture({
      provider,
      env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, PAYMENTS_RETRY_BACKOFF_MS: '60000' },
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

  const published = <S extends Subject>(subject: S, paymentId: string) =>
    fx.paymentEvents(subject, paymentId);
  const ledgerOf = (paymentId: string) => fx.ledgerLines(paymentId);
  const due = (paymentId: string) => fx.makeDue(paymentId);
  const captureLost = () =>
    scrapeMetric(fx.app, 'gittix_payments_total', { outcome: 'capture_lost' });
  const calls = (providerId: string, action: 'capture' | 'cancel') =>
    standIn.requests.filter((r) => r.path === `/v1/payment_intents/${providerId}/${action}`);

  /** A signed Stripe event about `object`, delivered to the webhook. */
  const deliverWebhook = (type: string, object: object) =>
    deliverStripeEvent(fx.app, WEBHOOK_SECRET, type, object);

  async function paidOrder() {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    expect(paid.status).toBe('authorized');
    return { order, paid };
  }

  /** The capture goes through at Stripe, its answer after the 1 s timeout; then Stripe forgets the key. */
  async function captureAnswerLostAndKeyForgotten(order: { id: string }, paidId: string) {
    standIn.state.delayMs = 1_500;
    await fx.completeOrder(order as Parameters<PaymentsFixture['completeOrder']>[0], paidId);
    await fx.settle();
    standIn.state.delayMs = 0;
    expect(await fx.paymentRow(paidId)).toMatchObject({
      status: 'authorized',
      next_action: 'capture',
    });
    standIn.advanceClock(25 * HOUR_MS);
    await due(paidId);
  }

  it("when a capture's answer is lost and Stripe has forgotten its key, then the refusal (already succeeded) is looked up and the capture recorded once", async () => {
    const { order, paid } = await paidOrder();
    await captureAnswerLostAndKeyForgotten(order, paid.id);
    await fx.settle();

    expect(calls(paid.providerId, 'capture')).toHaveLength(2);
    expect(standIn.intents.get(paid.providerId)?.status).toBe('succeeded');
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'captured', next_action: null });
    const lines = await ledgerOf(paid.id);
    // The sale once, and Stripe's fee on it (the same pass looks it up once captured).
    expect(lines.map((l) => l.kind)).toEqual([
      'charge',
      'fee',
      'proceeds',
      'processing_fee',
      'processing_fee',
    ]);
    expect(await ledgerSum(fx.db)).toBe(0);
    expect(await published('payment.captured', paid.id)).toHaveLength(1);
  });

  it('when Stripe cancels an uncaptured PaymentIntent after 7 days and the order had completed, then the payment is voided with payment.voided, no capture posting, and capture_lost counted', async () => {
    const { order, paid } = await paidOrder();
    const lostBefore = await captureLost();
    standIn.state.mode = 'error';
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    // A 500 is an outage: retried, nothing looked up.
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      next_action: 'capture',
      action_attempts: 1,
    });
    expect(provider.retrieves).not.toContain(paid.providerId);
    standIn.state.mode = 'up';

    standIn.advanceClock(8 * 24 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    expect(standIn.intents.get(paid.providerId)).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'automatic',
    });
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect(await ledgerOf(paid.id)).toEqual([]);
    expect(await published('payment.voided', paid.id)).toHaveLength(1);
    expect(await published('payment.captured', paid.id)).toEqual([]);
    expect(await captureLost()).toBe(lostBefore + 1);
  });

  it('when the PaymentIntent to capture holds no money (requires_payment_method), then it is recorded voided and counted capture_lost, not retried', async () => {
    const { order, paid } = await paidOrder();
    const lostBefore = await captureLost();
    standIn.intents.get(paid.providerId)!.status = 'requires_payment_method';
    await fx.completeOrder(order, paid.id);
    await fx.settle();

    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect(await ledgerOf(paid.id)).toEqual([]);
    expect(await captureLost()).toBe(lostBefore + 1);
  });

  it('when the PaymentIntent to capture is processing (its money in flight), then nothing is recorded and the capture stays scheduled', async () => {
    const { order, paid } = await paidOrder();
    const lostBefore = await captureLost();
    standIn.intents.get(paid.providerId)!.status = 'processing';
    await fx.completeOrder(order, paid.id);
    await fx.settle();

    expect(provider.retrieves).toContain(paid.providerId);
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'capture',
      action_attempts: 1,
    });
    expect(await published('payment.voided', paid.id)).toEqual([]);
    expect(await captureLost()).toBe(lostBefore);
  });

  it('when payment_intent.canceled arrives for a payment whose capture is due, then it is voided with payment.voided, no posting, and counted capture_lost once however often it arrives', async () => {
    const { order, paid } = await paidOrder();
    const lostBefore = await captureLost();
    standIn.state.mode = 'error';
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    standIn.state.mode = 'up';
    const canceled = {
      ...standIn.intents.get(paid.providerId)!,
      status: 'canceled',
      cancellation_reason: 'automatic',
    };
    for (let i = 0; i < 2; i++) {
      expect((await deliverWebhook('payment_intent.canceled', canceled)).statusCode).toBe(200);
    }

    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect(await ledgerOf(paid.id)).toEqual([]);
    expect(await published('payment.voided', paid.id)).toHaveLength(1);
    expect(await captureLost()).toBe(lostBefore + 1);
  });

  it("when a void's answer is lost and Stripe has forgotten its key, then the refusal (already canceled) is looked up and the payment voided once", async () => {
    const { order, paid } = await paidOrder();
    standIn.state.delayMs = 1_500;
    await fx.cancelOrder(order);
    await fx.settle();
    standIn.state.delayMs = 0;
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'void',
    });
    standIn.advanceClock(25 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    expect(calls(paid.providerId, 'cancel')).toHaveLength(2);
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect(await published('payment.voided', paid.id)).toHaveLength(1);
  });

  it("when a refund's answer is lost and Stripe has forgotten its key, then the refusal (charge_already_refunded) is looked up and the refund recorded once with Stripe's refund id", async () => {
    const { order, paid } = await paidOrder();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    standIn.state.delayMs = 1_500;
    await fx.cancelOrder(order, 5);
    await fx.settle();
    standIn.state.delayMs = 0;
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'captured',
      next_action: 'refund',
    });
    standIn.advanceClock(25 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    const refunds = standIn.requests.filter(
      (r) => r.path === '/v1/refunds' && r.params.get('payment_intent') === paid.providerId,
    );
    expect(refunds).toHaveLength(2);
    const row = await fx.paymentRow(paid.id);
    expect(row).toMatchObject({ status: 'refunded', next_action: null });
    expect(row.refund_id).toMatch(/^re_/);
    expect((await ledgerOf(paid.id)).filter((l) => l.kind === 'refund')).toHaveLength(3);
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when payment_intent.succeeded arrives for a payment whose order was cancelled (its void due), then the capture is refunded, whether the webhook or the settler records it first', async () => {
    for (let i = 0; i < 2; i++) {
      const { order, paid } = await paidOrder();
      await fx.cancelOrder(order);
      // Captured at Stripe all the same (by hand in its dashboard): Stripe tells the webhook.
      const intent = standIn.intents.get(paid.providerId)!;
      Object.assign(intent, {
        status: 'succeeded',
        amount_received: intent.amount,
        amount_capturable: 0,
      });
      const webhook = () => deliverWebhook('payment_intent.succeeded', intent);
      const [first, second] = i === 0 ? [webhook, fx.settle] : [fx.settle, webhook];
      await first();
      await second();
      await due(paid.id);
      await fx.settle();

      expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'refunded', next_action: null });
      expect(intent.refunds).toHaveLength(1);
      const lines = await ledgerOf(paid.id);
      expect(lines.reduce((sum, line) => sum + line.amount_cents, 0)).toBe(0);
      expect(lines.filter((l) => l.kind === 'refund')).toHaveLength(3);
      expect(await published('payment.captured', paid.id)).toEqual([]);
      expect(await published('payment.refunded', paid.id)).toHaveLength(1);
    }
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when payment_intent.succeeded arrives while the settler records a refused capture, then the sale is posted once and payment.captured published once', async () => {
    for (let i = 0; i < 4; i++) {
      const { order, paid } = await paidOrder();
      await captureAnswerLostAndKeyForgotten(order, paid.id);
      const intent = standIn.intents.get(paid.providerId)!;
      const webhook = () => deliverWebhook('payment_intent.succeeded', intent);
      // Both orders of arrival, and both at once.
      const [first, second] = i % 2 === 0 ? [webhook, fx.settle] : [fx.settle, webhook];
      await Promise.all([first(), second()]);

      expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'captured', next_action: null });
      // The sale once (Stripe's fee is posted by whichever pass finds it captured).
      const lines = await ledgerOf(paid.id);
      const sale = lines.filter((l) => l.kind !== 'processing_fee');
      expect(sale.map((l) => l.kind)).toEqual(['charge', 'fee', 'proceeds']);
      expect(await published('payment.captured', paid.id)).toHaveLength(1);
    }
    expect(await ledgerSum(fx.db)).toBe(0);
  });
});
