import { randomUUID } from 'node:crypto';
import { startStripeStandIn } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import { createPaymentsFixture, type PaymentsFixture, standInStripeProvider } from './fixtures.js';
import { deliverStripeEvent } from './stripe-events.js';

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

  const deliver = (type: string, object: object) =>
    deliverStripeEvent(fx.app, WEBHOOK_SECRET, type, object);

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

  /** payment.refunded events of one payment on the stream (the outbox drained first). */
  const refundsOf = async (paymentId: string) =>
    (await fx.publishedEvents('payment.refunded')).filter((e) => e.data.id === paymentId);

  it('when a captured sale is refunded in full in Stripe, and Stripe redelivers it at once, then payment.refunded is published once, naming the buyer, order, amount and ticket', async () => {
    const { paid } = await capturedSale();
    const { order_id: orderId, user_id: buyerId } = await fx.paymentRow(paid.id);
    const { ticket_id: ticketId } = await fx.db
      .selectFrom('orders')
      .select('ticket_id')
      .where('id', '=', orderId)
      .executeTakeFirstOrThrow();

    expect((await deliver('charge.refunded', chargeOf(paid, 500, false))).statusCode).toBe(200);
    expect(await refundsOf(paid.id)).toEqual([]);
    // Stripe may send the same event again while the first delivery is still in flight.
    const deliveries = await Promise.all(
      [1, 2, 3].map(() => deliver('charge.refunded', chargeOf(paid, 2550, true))),
    );
    expect(deliveries.map((d) => d.statusCode)).toEqual([200, 200, 200]);

    const events = await refundsOf(paid.id);
    expect(events.map((e) => e.data)).toEqual([
      { id: paid.id, orderId, userId: buyerId, amount: 25.5, ticketId },
    ]);
  });

  it("when a full refund overtakes the capture's answer and is redelivered after the capture retry, then payment.refunded is published once", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    expect((await fx.paymentRow(paid.id)).status).toBe('authorized');

    expect((await deliver('charge.refunded', chargeOf(paid, 2550, true))).statusCode).toBe(200);
    await fx.settle();
    expect((await deliver('charge.refunded', chargeOf(paid, 2550, true))).statusCode).toBe(200);

    const events = await refundsOf(paid.id);
    expect(events.map((e) => e.data)).toEqual([
      { id: paid.id, orderId: order.id, userId: buyer.id, amount: 25.5, ticketId: order.ticket.id },
    ]);
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
