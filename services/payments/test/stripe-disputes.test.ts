import type { Subject } from '@gittix/common';
import { scrapeMetric, startStripeStandIn } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SettleRequest } from '../src/providers/index.js';
import {
  createPaymentsFixture,
  type PaymentsFixture,
  RecordingProvider,
  standInStripeProvider,
} from './fixtures.js';
import { deliverStripeEvent } from './stripe-events.js';

type StandIn = Awaited<ReturnType<typeof startStripeStandIn>>;

const WEBHOOK_SECRET = 'whsec_gittix_disputes_secret';

/** Stripe, except that `whileRefusing` runs after Stripe refuses a refund, before the settler hears it. */
class RefusalWindow extends RecordingProvider {
  whileRefusing: (() => Promise<void>) | null = null;
  override async refund(request: SettleRequest) {
    try {
      return await super.refund(request);
    } catch (error) {
      const meanwhile = this.whileRefusing;
      this.whileRefusing = null;
      await meanwhile?.();
      throw error;
    }
  }
}

describe('the settler, when Stripe refuses a refund because the charge is disputed (the real SDK against the stand-in)', () => {
  let standIn: StandIn;
  let provider: RefusalWindow;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    provider = new RefusalWindow(standInStripeProvider(standIn));
    fx = await createPaymentsFixture({
      provider,
      env: { PAYMENTS_RETRY_BACKOFF_MS: '60000', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const published = <S extends Subject>(subject: S, paymentId: string) =>
    fx.paymentEvents(subject, paymentId);
  const outcome = (name: string) =>
    scrapeMetric(fx.app, 'gittix_payments_total', { outcome: name });
  const parkedRefunds = () =>
    scrapeMetric(fx.app, 'gittix_payments_unsettled', { kind: 'refund_disputed' });
  /** Stripe's charge.dispute.closed, its Dispute as the stand-in closed it. */
  const disputeClosed = (dispute: object) =>
    deliverStripeEvent(fx.app, WEBHOOK_SECRET, 'charge.dispute.closed', dispute);

  /** A sale captured at Stripe, disputed by its buyer, then its order cancelled: a refund is due. */
  async function disputedSaleToRefund() {
    const { order, paid } = await fx.capturedSale();
    const dispute = standIn.openDispute(paid.providerId);
    // Only an older release could cancel a completed order; the refund path stays for it.
    await fx.cancelOrder(order, 5);
    return { order, paid, dispute };
  }

  /** The same, with the refund already refused by Stripe and parked. */
  async function parkedRefund() {
    const sale = await disputedSaleToRefund();
    await fx.settle();
    expect(await fx.paymentRow(sale.paid.id)).toMatchObject({
      next_action: 'refund',
      next_attempt_at: null,
    });
    return sale;
  }

  it("when the buyer disputes the charge before the refund of its cancelled order, then Stripe's charge_disputed parks the refund: not retried, counted refund_disputed, nothing refunded or posted", async () => {
    const { paid } = await disputedSaleToRefund();
    const before = await outcome('refund_disputed');
    await fx.settle();

    const parked = await fx.paymentRow(paid.id);
    expect(parked).toMatchObject({
      status: 'captured',
      next_action: 'refund',
      next_attempt_at: null,
      refund_id: null,
    });
    expect(parked.last_error).toContain('has been charged back; cannot issue a refund');
    expect(await outcome('refund_disputed')).toBe(before + 1);
    // The sale and Stripe's fee on it, nothing refunded.
    expect((await fx.ledgerLines(paid.id)).map((l) => l.kind)).toEqual([
      'charge',
      'fee',
      'proceeds',
      'processing_fee',
      'processing_fee',
    ]);
    expect(await published('payment.refunded', paid.id)).toEqual([]);

    for (let i = 0; i < 3; i++) {
      await fx.hoursPass(paid.id);
      await fx.settle();
    }
    expect(standIn.disputeRefusals.filter((id) => id === paid.providerId)).toHaveLength(1);
    expect(standIn.intents.get(paid.providerId)?.refunds).toEqual([]);
    expect(await outcome('refund_disputed')).toBe(before + 1);
  });

  it("when the platform wins the dispute, then Stripe's charge.dispute.closed makes the parked refund due, Stripe refunds it once and its refund id is recorded; the close redelivered changes nothing", async () => {
    const { paid } = await parkedRefund();
    const parkedBefore = await parkedRefunds();

    const won = standIn.winDispute(paid.providerId);
    expect(won).toMatchObject({
      object: 'dispute',
      status: 'won',
      payment_intent: paid.providerId,
    });
    expect((await disputeClosed(won)).statusCode).toBe(200);
    expect((await fx.paymentRow(paid.id)).next_attempt_at).not.toBeNull();
    expect(await parkedRefunds()).toBe(parkedBefore - 1);
    await fx.settle();
    expect((await disputeClosed(won)).statusCode).toBe(200);
    await fx.settle();

    const refunded = await fx.paymentRow(paid.id);
    expect(refunded).toMatchObject({ status: 'refunded', next_action: null, dispute_id: null });
    expect(standIn.intents.get(paid.providerId)?.refunds).toHaveLength(1);
    expect(refunded.refund_id).toBe(standIn.intents.get(paid.providerId)?.refunds[0]?.id);
    expect((await fx.ledgerLines(paid.id)).filter((l) => l.kind === 'refund')).toHaveLength(3);
    expect(await published('payment.refunded', paid.id)).toHaveLength(1);
  });

  it('when the dispute is won while Stripe is refusing the refund, then the refund is not parked over the win: the next pass refunds it', async () => {
    const { paid } = await disputedSaleToRefund();
    provider.whileRefusing = async () => {
      expect((await disputeClosed(standIn.winDispute(paid.providerId))).statusCode).toBe(200);
    };
    const before = await outcome('refund_disputed');
    await fx.settle();
    expect(provider.whileRefusing).toBeNull();
    expect((await fx.paymentRow(paid.id)).next_attempt_at).not.toBeNull();
    expect(await outcome('refund_disputed')).toBe(before);

    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'refunded', next_action: null });
    expect(standIn.intents.get(paid.providerId)?.refunds).toHaveLength(1);
    expect(await published('payment.refunded', paid.id)).toHaveLength(1);
  });

  it('when the buyer wins the dispute of a cancelled order whose refund is parked, then the chargeback ends the refund: never made, the sale reversed once under the dispute, counted chargeback', async () => {
    const { paid, dispute } = await parkedRefund();
    const [chargebacks, refunds, parkedBefore] = [
      await outcome('chargeback'),
      await outcome('refunded'),
      await parkedRefunds(),
    ];

    const lost = standIn.loseDispute(paid.providerId);
    for (let i = 0; i < 2; i++) expect((await disputeClosed(lost)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) {
      await fx.hoursPass(paid.id);
      await fx.settle();
    }

    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'refunded',
      next_action: null,
      next_attempt_at: null,
      refund_id: null,
      dispute_id: dispute.id,
    });
    expect(standIn.intents.get(paid.providerId)?.refunds).toEqual([]);
    expect(standIn.disputeRefusals.filter((id) => id === paid.providerId)).toHaveLength(1);
    expect((await fx.ledgerLines(paid.id)).filter((l) => l.kind === 'refund')).toHaveLength(3);
    expect(await published('payment.refunded', paid.id)).toHaveLength(1);
    expect(await outcome('chargeback')).toBe(chargebacks + 1);
    expect(await outcome('refunded')).toBe(refunds);
    expect(await parkedRefunds()).toBe(parkedBefore - 1);
  });

  it('when the buyer wins a dispute of part of a cancelled order whose refund is parked, then nothing is reversed: the whole is still owed, so the refund stays parked for an operator to settle', async () => {
    const { order, paid } = await fx.capturedSale();
    standIn.openDispute(paid.providerId, { amount: 1000 });
    await fx.cancelOrder(order, 5);
    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      next_action: 'refund',
      next_attempt_at: null,
    });

    expect((await disputeClosed(standIn.loseDispute(paid.providerId))).statusCode).toBe(200);

    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'captured',
      next_action: 'refund',
      next_attempt_at: null,
      charged_back_cents: 0,
      dispute_id: null,
    });
    expect((await fx.ledgerLines(paid.id)).filter((l) => l.kind === 'partial_refund')).toEqual([]);
    expect(await published('payment.refunded', paid.id)).toEqual([]);
  });
});
