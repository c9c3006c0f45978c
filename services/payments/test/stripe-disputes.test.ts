import type { Subject } from '@gittix/common';
import { scrapeMetric, startStripeStandIn } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentsFixture, type PaymentsFixture, standInStripeProvider } from './fixtures.js';

type StandIn = Awaited<ReturnType<typeof startStripeStandIn>>;

describe('the settler, when Stripe refuses a refund because the charge is disputed (the real SDK against the stand-in)', () => {
  let standIn: StandIn;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    fx = await createPaymentsFixture({
      provider: standInStripeProvider(standIn),
      env: { PAYMENTS_RETRY_BACKOFF_MS: '60000' },
    });
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const published = <S extends Subject>(subject: S, paymentId: string) =>
    fx.paymentEvents(subject, paymentId);
  const refundDisputed = () =>
    scrapeMetric(fx.app, 'gittix_payments_total', { outcome: 'refund_disputed' });
  /** Hours pass: whatever retry the payment has scheduled is due (a parked action has none). */
  const hoursPass = (paymentId: string) =>
    fx.db
      .updateTable('payments')
      .set({ next_attempt_at: new Date() })
      .where('id', '=', paymentId)
      .where('next_attempt_at', 'is not', null)
      .execute();

  /** A sale captured at Stripe, disputed by its buyer, then its order cancelled: a refund is due. */
  async function disputedSaleToRefund() {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    standIn.openDispute(paid.providerId);
    // Only an older release could cancel a completed order; the refund path stays for it.
    await fx.cancelOrder(order, 5);
    return { order, paid };
  }

  it("when the buyer disputes the charge before the refund of its cancelled order, then Stripe's charge_disputed parks the refund: not retried, counted refund_disputed, nothing refunded or posted", async () => {
    const { paid } = await disputedSaleToRefund();
    const before = await refundDisputed();
    await fx.settle();

    const parked = await fx.paymentRow(paid.id);
    expect(parked).toMatchObject({
      status: 'captured',
      next_action: 'refund',
      next_attempt_at: null,
      refund_id: null,
    });
    expect(parked.last_error).toContain('has been charged back; cannot issue a refund');
    expect(await refundDisputed()).toBe(before + 1);
    expect((await fx.ledgerLines(paid.id)).map((l) => l.kind)).toEqual([
      'charge',
      'fee',
      'proceeds',
    ]);
    expect(await published('payment.refunded', paid.id)).toEqual([]);

    for (let i = 0; i < 3; i++) {
      await hoursPass(paid.id);
      await fx.settle();
    }
    expect(standIn.disputeRefusals.filter((id) => id === paid.providerId)).toHaveLength(1);
    expect(standIn.intents.get(paid.providerId)?.refunds).toEqual([]);
    expect(await refundDisputed()).toBe(before + 1);
  });

  it('when the platform wins the dispute and an operator resumes the refund, then Stripe refunds it once and its refund id is recorded', async () => {
    const { paid } = await disputedSaleToRefund();
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).next_attempt_at).toBeNull();

    standIn.winDispute(paid.providerId);
    await fx.makeDue(paid.id);
    await fx.settle();

    const refunded = await fx.paymentRow(paid.id);
    expect(refunded).toMatchObject({ status: 'refunded', next_action: null });
    expect(standIn.intents.get(paid.providerId)?.refunds).toHaveLength(1);
    expect(refunded.refund_id).toBe(standIn.intents.get(paid.providerId)?.refunds[0]?.id);
    expect((await fx.ledgerLines(paid.id)).filter((l) => l.kind === 'refund')).toHaveLength(3);
    expect(await published('payment.refunded', paid.id)).toHaveLength(1);
  });
});
