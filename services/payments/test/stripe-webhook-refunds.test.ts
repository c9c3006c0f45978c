import { randomUUID } from 'node:crypto';
import { scrapeMetric, startStripeStandIn } from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import { recordPartBack } from '../src/partial-reversals.js';
import { lockPayment } from '../src/payments.js';
import type { PaymentProvider } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, standInStripeProvider } from './fixtures.js';
import { chargeInEvent, deliverStripeEvent } from './stripe-events.js';

const WEBHOOK_SECRET = 'whsec_gittix_refunds_secret';

describe("Stripe's webhook: refunds made in Stripe, and metadata that is not ours", () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let provider: PaymentProvider;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    provider = standInStripeProvider(standIn);
    fx = await createPaymentsFixture({
      provider,
      env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
  });
  afterEach(() => {
    standIn.state.mode = 'up';
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const deliver = (type: string, object: object) =>
    deliverStripeEvent(fx.app, WEBHOOK_SECRET, type, object);

  /**
   * A full refund made in Stripe's dashboard (capturing the hold first if payments had
   * not: a capture whose answer was lost); Stripe's refund id.
   */
  async function refundInStripe(paid: { id: string; providerId: string }) {
    const intent = standIn.intents.get(paid.providerId)!;
    const dashboard = { providerId: paid.providerId, metadata: {} };
    if (intent.status === 'requires_capture') {
      await provider.capture({ ...dashboard, idempotencyKey: `dashboard_capture_${paid.id}` });
    }
    const { refundId } = await provider.refund({
      ...dashboard,
      idempotencyKey: `dashboard_refund_${paid.id}`,
    });
    return refundId;
  }

  /** Stripe's charge.refunded after `refundInStripe`: the charge as events carry it. */
  const refundedCharge = (paid: { providerId: string }) =>
    chargeInEvent(standIn.intents.get(paid.providerId)!);

  /** A sale paid through Stripe and captured: its seller has been credited. */
  async function capturedSale() {
    const { order, paid, buyer } = await fx.capturedSale();
    return { paid, order, buyer, sellerId: order.ticket.userId! };
  }

  /** The payment as its buyer reads it: GET /api/payments/:id and the same in their list. */
  async function asBuyerReadsIt(buyer: { headers: Record<string, string> }, paymentId: string) {
    const one = await fx.app.inject({ url: `/api/payments/${paymentId}`, headers: buyer.headers });
    const list = await fx.app.inject({ url: '/api/payments', headers: buyer.headers });
    expect(one.statusCode).toBe(200);
    expect(list.json()).toContainEqual(one.json());
    return one.json();
  }

  /** Stripe's charge.refunded for $5 (or `refundedCents` in all) of the sale refunded in its dashboard. */
  const partlyRefundedCharge = (paid: { id: string; providerId: string }, refundedCents = 500) => ({
    id: `ch_${randomUUID().slice(0, 8)}`,
    object: 'charge',
    payment_intent: paid.providerId,
    amount: 2550,
    amount_refunded: refundedCents,
    refunded: false,
    metadata: { paymentId: paid.id },
  });

  /** payment.refunded events of one payment on the stream (the outbox drained first). */
  const refundsOf = async (paymentId: string) =>
    (await fx.publishedEvents('payment.refunded')).filter((e) => e.data.id === paymentId);

  /** payment.partly_refunded events of one payment on the stream, in order. */
  const partsOf = async (paymentId: string) =>
    (await fx.publishedEvents('payment.partly_refunded'))
      .filter((e) => e.data.id === paymentId)
      .map((e) => e.data);

  /** The sale's lines given back in part so far, per account (Stripe's fee apart). */
  const partBack = (paymentId: string) => fx.accountTotals(paymentId, ['partial_refund']);

  it('when part of a captured sale is refunded in Stripe, then that part is reversed in proportion once, the sale stays captured and the buyer keeps the ticket; a full refund then reverses the rest', async () => {
    const { paid, order, buyer, sellerId } = await capturedSale();
    expect(await asBuyerReadsIt(buyer, paid.id)).toMatchObject({ status: 'captured', refunded: 0 });
    const before = await sellerBalance(fx.db, sellerId);
    const counted = () =>
      scrapeMetric(fx.app, 'gittix_payments_total', { outcome: 'partly_refunded' });
    const countedBefore = await counted();

    // $5.00 of $25.50 back: the platform gives back its fee's share ($0.50), the seller $4.50.
    for (let i = 0; i < 2; i++) {
      const partial = await deliver('charge.refunded', partlyRefundedCharge(paid));
      expect(partial.statusCode).toBe(200);
    }
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'captured', refunded_cents: 500 });
    // The buyer reads what came back: the sale stands, $5.00 of it refunded.
    expect(await asBuyerReadsIt(buyer, paid.id)).toMatchObject({
      amount: 25.5,
      status: 'captured',
      refunded: 5,
    });
    expect(await sellerBalance(fx.db, sellerId)).toEqual({
      ...before,
      availableCents: before.availableCents - 450,
    });
    expect(await partBack(paid.id)).toEqual({
      provider: 500,
      'platform:fees': -50,
      [`seller:${sellerId}`]: -450,
    });
    expect(await refundsOf(paid.id)).toEqual([]);
    expect(await counted()).toBe(countedBefore + 1);
    // Told once (the redelivery changed nothing): the part, the seller's cut, who and what.
    expect(await partsOf(paid.id)).toEqual([
      {
        id: paid.id,
        orderId: order.id,
        userId: order.userId,
        sellerId,
        ticketId: order.ticket.id,
        amount: 5,
        refunded: 5,
        sellerAmount: 4.5,
        by: 'refund',
      },
    ]);

    await refundInStripe(paid);
    for (let i = 0; i < 2; i++) {
      const full = await deliver('charge.refunded', refundedCharge(paid));
      expect(full.statusCode).toBe(200);
    }
    expect((await fx.paymentRow(paid.id)).status).toBe('refunded');
    expect(await asBuyerReadsIt(buyer, paid.id)).toMatchObject({
      status: 'refunded',
      refunded: 25.5,
    });
    expect(await sellerBalance(fx.db, sellerId)).toMatchObject({ availableCents: 0 });
    expect(await refundsOf(paid.id)).toHaveLength(1);
    // The sale, its part and the rest given back: nothing left on the sale's accounts.
    const left = await fx.accountTotals(paid.id, [
      'charge',
      'fee',
      'proceeds',
      'partial_refund',
      'refund',
    ]);
    expect(Object.values(left)).toEqual([0, 0, 0]);
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when partial refunds are reported out of order, then the running total Stripe gives wins: an older, smaller one changes nothing', async () => {
    const { paid } = await capturedSale();
    await deliver('charge.refunded', partlyRefundedCharge(paid, 1000));
    await deliver('charge.refunded', partlyRefundedCharge(paid, 500));
    expect((await fx.paymentRow(paid.id)).refunded_cents).toBe(1000);
    expect((await partBack(paid.id)).provider).toBe(1000);
    await deliver('charge.refunded', partlyRefundedCharge(paid, 1500));
    expect((await partBack(paid.id)).provider).toBe(1500);
    expect(await ledgerSum(fx.db)).toBe(0);
    // One event per change: $10 then $5 more; the older, smaller total told nothing.
    expect(
      (await partsOf(paid.id)).map(({ amount, refunded, by }) => ({ amount, refunded, by })),
    ).toEqual([
      { amount: 10, refunded: 10, by: 'refund' },
      { amount: 5, refunded: 15, by: 'refund' },
    ]);
  });

  it('when refunds and a chargeback of part claim more than the sale together, then no more than the sale is reversed, and a larger refund total after that reverses nothing more', async () => {
    const { paid, buyer } = await capturedSale();
    await deliver('charge.refunded', partlyRefundedCharge(paid, 2000));
    await fx.db.transaction().execute(async (trx) =>
      recordPartBack(trx, await lockPayment(trx, paid.id), {
        chargedBackCents: 1000,
        disputeId: 'du_part',
      }),
    );
    expect((await partBack(paid.id)).provider).toBe(2550);
    await deliver('charge.refunded', partlyRefundedCharge(paid, 2100));
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      refunded_cents: 2100,
      charged_back_cents: 1000,
    });
    expect((await partBack(paid.id)).provider).toBe(2550);
    // The buyer is shown no more back than they paid.
    expect(await asBuyerReadsIt(buyer, paid.id)).toMatchObject({ amount: 25.5, refunded: 25.5 });
    expect(await ledgerSum(fx.db)).toBe(0);
    // The chargeback told the $5.50 it reversed; the last total reversed nothing, told nothing.
    expect(
      (await partsOf(paid.id)).map(({ amount, refunded, by }) => ({ amount, refunded, by })),
    ).toEqual([
      { amount: 20, refunded: 20, by: 'refund' },
      { amount: 5.5, refunded: 25.5, by: 'chargeback' },
    ]);
  });

  it('when part of a sale is refunded before its capture is recorded (the answer lost), then the capture posts the sale and reverses that part, and only then are buyer and seller told', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    const dashboard = { providerId: paid.providerId, metadata: {} };
    await provider.capture({ ...dashboard, idempotencyKey: `dashboard_capture_${paid.id}` });
    await deliver('charge.refunded', partlyRefundedCharge(paid));
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      refunded_cents: 500,
    });
    expect(await partBack(paid.id)).toEqual({});
    // Nothing told yet: the seller would hear of a cut before hearing of the sale.
    expect(await partsOf(paid.id)).toEqual([]);

    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    expect(await partBack(paid.id)).toEqual({
      provider: 500,
      'platform:fees': -50,
      [`seller:${order.ticket.userId}`]: -450,
    });
    expect(await ledgerSum(fx.db)).toBe(0);
    // Told with the capture, after payment.captured: the part and the seller's cut.
    expect(
      (await partsOf(paid.id)).map((e) => [e.amount, e.refunded, e.sellerAmount, e.by]),
    ).toEqual([[5, 5, 4.5, 'refund']]);
    expect(await fx.paymentHistory(paid.id)).toEqual([
      'payment.created',
      'payment.captured',
      'payment.partly_refunded',
    ]);
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

    await refundInStripe(paid);
    const refunded = await deliver('charge.refunded', refundedCharge(paid));
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

  it('when a captured sale is refunded in full in Stripe, and Stripe redelivers it at once, then payment.refunded is published once, naming the buyer, order, amount and ticket', async () => {
    const { paid } = await capturedSale();
    const { order_id: orderId, user_id: buyerId } = await fx.paymentRow(paid.id);
    const { ticket_id: ticketId } = await fx.db
      .selectFrom('orders')
      .select('ticket_id')
      .where('id', '=', orderId)
      .executeTakeFirstOrThrow();

    expect((await deliver('charge.refunded', partlyRefundedCharge(paid))).statusCode).toBe(200);
    expect(await refundsOf(paid.id)).toEqual([]);
    await refundInStripe(paid);
    // Stripe may send the same event again while the first delivery is still in flight.
    const deliveries = await Promise.all(
      [1, 2, 3].map(() => deliver('charge.refunded', refundedCharge(paid))),
    );
    expect(deliveries.map((d) => d.statusCode)).toEqual([200, 200, 200]);

    const events = await refundsOf(paid.id);
    expect(events.map((e) => e.data)).toEqual([
      { id: paid.id, orderId, userId: buyerId, amount: 25.5, ticketId, by: 'refund' },
    ]);
  });

  it("when a full refund overtakes the capture's answer and is redelivered after the capture retry, then payment.refunded is published once", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    expect((await fx.paymentRow(paid.id)).status).toBe('authorized');

    await refundInStripe(paid);
    expect((await deliver('charge.refunded', refundedCharge(paid))).statusCode).toBe(200);
    await fx.settle();
    expect((await deliver('charge.refunded', refundedCharge(paid))).statusCode).toBe(200);

    const events = await refundsOf(paid.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        id: paid.id,
        orderId: order.id,
        userId: buyer.id,
        amount: 25.5,
        ticketId: order.ticket.id,
        by: 'refund',
      },
    ]);
  });

  /** GET /v1/payment_intents/<id> with its charge's refunds: the refund lookups of one PaymentIntent. */
  const lookups = (providerId: string) =>
    standIn.requests.filter(
      (r) =>
        r.method === 'GET' &&
        r.path === `/v1/payment_intents/${providerId}` &&
        [...r.query.values()].includes('latest_charge.refunds'),
    );

  it("when a sale is refunded in Stripe and charge.refunded lists no refunds (API 2022-11-15 and later), then the payment records Stripe's refund id, asked of Stripe once however often the event comes", async () => {
    const { paid } = await capturedSale();
    const refundId = await refundInStripe(paid);
    const charge = refundedCharge(paid);
    expect(charge).not.toHaveProperty('refunds');

    for (let i = 0; i < 2; i++) {
      expect((await deliver('charge.refunded', charge)).statusCode).toBe(200);
    }

    expect(refundId).toMatch(/^re_/);
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'refunded',
      refund_id: refundId,
    });
    // The redelivery found the refund recorded: no second call.
    expect(lookups(paid.providerId)).toHaveLength(1);
    expect(await refundsOf(paid.id)).toHaveLength(1);
  });

  it('when Stripe cannot be asked for the refund id, then the webhook answers 503 and records nothing, and the next delivery records the refund with its id', async () => {
    const { paid, sellerId } = await capturedSale();
    const before = await sellerBalance(fx.db, sellerId);
    const refundId = await refundInStripe(paid);

    standIn.state.mode = 'error';
    const failed = await deliver('charge.refunded', refundedCharge(paid));
    expect(failed.statusCode).toBe(503);
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'captured', refund_id: null });
    expect(await sellerBalance(fx.db, sellerId)).toEqual(before);
    expect(await refundsOf(paid.id)).toEqual([]);

    // Stripe delivers a failed event again (live mode: for up to 3 days).
    standIn.state.mode = 'up';
    expect((await deliver('charge.refunded', refundedCharge(paid))).statusCode).toBe(200);
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'refunded',
      refund_id: refundId,
    });
    expect(await refundsOf(paid.id)).toHaveLength(1);
  });

  it('when charge.refunded says refunded but Stripe shows no full refund of it (yet), then 503 and nothing recorded, not a 500 and not a refund without its id', async () => {
    const { paid, sellerId } = await capturedSale();
    const before = await sellerBalance(fx.db, sellerId);
    const intent = standIn.intents.get(paid.providerId)!;
    const claimed = { ...chargeInEvent(intent), amount_refunded: intent.amount, refunded: true };

    const answered = await deliver('charge.refunded', claimed);
    expect(answered.statusCode).toBe(503);
    expect(answered.json().errors[0].message).toContain('no full refund');
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'captured', refund_id: null });
    expect(await sellerBalance(fx.db, sellerId)).toEqual(before);
    expect(await refundsOf(paid.id)).toEqual([]);
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
