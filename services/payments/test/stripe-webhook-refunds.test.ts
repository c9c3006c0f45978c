import { randomUUID } from 'node:crypto';
import { startStripeStandIn } from '@gittix/common/testing';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import { createPaymentsFixture, type PaymentsFixture, standInStripeProvider } from './fixtures.js';

const WEBHOOK_SECRET = 'whsec_gittix_refunds_secret';

describe("Stripe's webhook: refunds made in Stripe, and metadata that is not ours", () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    const provider = standInStripeProvider(standIn);
    fx = await createPaymentsFixture({
      provider,
      env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const deliver = (type: string, object: object) => {
    const payload = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type,
      api_version: '2025-01-01',
      created: Math.floor(Date.now() / 1000),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    });
    return fx.app.inject({
      method: 'POST',
      url: '/api/payments/webhooks/stripe',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({
          payload,
          secret: WEBHOOK_SECRET,
        }),
      },
      payload,
    });
  };

  /** A sale paid through Stripe and captured: its seller has been credited. */
  async function capturedSale() {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    return { paid, sellerId: order.ticket.userId! };
  }

  const chargeOf = (paid: { id: string; providerId: string }, refunded: number, full: boolean) => ({
    id: `ch_${randomUUID().slice(0, 8)}`,
    object: 'charge',
    payment_intent: paid.providerId,
    amount: 2550,
    amount_refunded: refunded,
    refunded: full,
    metadata: { paymentId: paid.id },
  });

  it('when part of a captured sale is refunded in Stripe, then the sale stays captured and the ledger unchanged; a full refund then reverses it once', async () => {
    const { paid, sellerId } = await capturedSale();
    const before = await sellerBalance(fx.db, sellerId);

    const partial = await deliver('charge.refunded', chargeOf(paid, 500, false));
    expect(partial.statusCode).toBe(200);
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    expect(await sellerBalance(fx.db, sellerId)).toEqual(before);

    for (let i = 0; i < 2; i++) {
      const full = await deliver('charge.refunded', chargeOf(paid, 2550, true));
      expect(full.statusCode).toBe(200);
    }
    expect((await fx.paymentRow(paid.id)).status).toBe('refunded');
    expect(await sellerBalance(fx.db, sellerId)).toMatchObject({ availableCents: 0 });
  });

  it('when a full refund arrives before the capture is recorded (its answer was lost), then the payment is refunded, the seller never credited and the capture not retried', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'capture',
    });

    const refunded = await deliver('charge.refunded', chargeOf(paid, 2550, true));
    expect(refunded.statusCode).toBe(200);
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'refunded', next_action: null });
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('refunded');
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toEqual({
      pendingCents: 0,
      availableCents: 0,
      paidOutCents: 0,
    });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it("when a PaymentIntent's metadata.paymentId is not one of our ids (another integration's), then 200 and nothing changes", async () => {
    const { paid } = await capturedSale();
    for (const paymentId of ['pay_123', '', 'not-a-uuid-at-all']) {
      const response = await deliver('payment_intent.canceled', {
        id: `pi_${randomUUID().slice(0, 8)}`,
        object: 'payment_intent',
        status: 'canceled',
        metadata: { paymentId },
      });
      expect(response.statusCode, paymentId).toBe(200);
      expect(response.json()).toEqual({ received: true });
    }
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
  });
});
