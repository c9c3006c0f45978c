import type { Subject } from '@gittix/common';
import { scrapeMetric } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentAction } from '../src/db/schema.js';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import {
  ProviderUnavailableError,
  SandboxProvider,
  type SettleRequest,
} from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

const HOUR_MS = 3_600_000;

/** The sandbox, whose answers to chosen actions are lost after it acted, and outages on demand. */
class LossyProvider extends RecordingProvider {
  /** Actions whose next answer is lost (the provider did it; the caller hears a timeout). */
  readonly loseAnswer = new Set<PaymentAction>();
  /** Actions that fail as an outage would, before reaching the provider. */
  readonly down = new Set<PaymentAction>();
  constructor(readonly sandbox = new SandboxProvider()) {
    super(sandbox);
  }
  private async lossy<T>(action: PaymentAction, work: () => Promise<T>): Promise<T> {
    if (this.down.has(action)) throw new ProviderUnavailableError();
    const answer = await work();
    if (this.loseAnswer.delete(action)) {
      throw new ProviderUnavailableError('Payment provider did not answer in time, try again');
    }
    return answer;
  }
  override capture(request: SettleRequest) {
    return this.lossy('capture', () => super.capture(request));
  }
  override void(request: SettleRequest) {
    return this.lossy('void', () => super.void(request));
  }
  override refund(request: SettleRequest) {
    return this.lossy('refund', () => super.refund(request));
  }
}

describe('the settler, when the provider refuses an action for the payment state (sandbox)', () => {
  let fx: PaymentsFixture;
  const provider = new LossyProvider();

  beforeAll(async () => {
    fx = await createPaymentsFixture({
      provider,
      env: { PAYMENTS_RETRY_BACKOFF_MS: '60000' },
    });
  });
  afterAll(() => fx?.close());

  const published = <S extends Subject>(subject: S, paymentId: string) =>
    fx.paymentEvents(subject, paymentId);
  const ledgerOf = (paymentId: string) => fx.ledgerLines(paymentId);
  const due = (paymentId: string) => fx.makeDue(paymentId);
  const captureLost = () =>
    scrapeMetric(fx.app, 'gittix_payments_total', { outcome: 'capture_lost' });
  const refundDisputed = () =>
    scrapeMetric(fx.app, 'gittix_payments_total', { outcome: 'refund_disputed' });
  const unsettled = (kind: string) => scrapeMetric(fx.app, 'gittix_payments_unsettled', { kind });
  const refundCalls = (providerId: string) =>
    provider.refunds.filter((r) => r.providerId === providerId);

  async function paidOrder() {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    expect(paid.status).toBe('authorized');
    return { buyer, order, paid };
  }

  it("when a capture's answer is lost and the retry comes after the provider forgot the key, then the payment is recorded captured once, with one sale posting and one payment.captured", async () => {
    const { order, paid } = await paidOrder();
    provider.loseAnswer.add('capture');
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'capture',
      action_attempts: 1,
    });
    expect((await provider.sandbox.store.hold(paid.providerId))?.status).toBe('captured');

    provider.sandbox.advanceClock(25 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'captured',
      fee_cents: 255,
      next_action: null,
    });
    expect(provider.retrieves).toContain(paid.providerId);
    expect(provider.sandbox.capturesMade).toBe(1);
    const lines = await ledgerOf(paid.id);
    expect(lines.map((l) => l.kind)).toEqual(['charge', 'fee', 'proceeds']);
    expect(new Set(lines.map((l) => l.posting_id)).size).toBe(1);
    expect(await ledgerSum(fx.db)).toBe(0);
    expect(await published('payment.captured', paid.id)).toHaveLength(1);
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({
      availableCents: 2295,
    });

    // Nothing is left to do: later passes change nothing.
    await fx.settle();
    expect(await ledgerOf(paid.id)).toHaveLength(3);
  });

  it('when the hold expires (7 days) before the capture of a completed order, then the payment is recorded voided with payment.voided, no capture posting, and counted capture_lost', async () => {
    const { order, paid } = await paidOrder();
    const lostBefore = await captureLost();
    provider.down.add('capture');
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    // An outage is retried, as always.
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'capture',
      action_attempts: 1,
    });
    provider.down.delete('capture');

    provider.sandbox.advanceClock(8 * 24 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect((await provider.sandbox.store.hold(paid.providerId))?.status).toBe('voided');
    expect(provider.sandbox.capturesMade).toBe(1); // the first test's, none here
    expect(await ledgerOf(paid.id)).toEqual([]);
    expect(await published('payment.voided', paid.id)).toHaveLength(1);
    expect(await published('payment.captured', paid.id)).toEqual([]);
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({
      pendingCents: 0,
      availableCents: 0,
    });
    expect(await captureLost()).toBe(lostBefore + 1);

    await due(paid.id);
    await fx.settle();
    expect(await captureLost()).toBe(lostBefore + 1);
  });

  it("when a void's answer is lost and the retry comes after the key was forgotten, then the payment is recorded voided once", async () => {
    const { order, paid } = await paidOrder();
    provider.loseAnswer.add('void');
    await fx.cancelOrder(order);
    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'authorized',
      next_action: 'void',
    });

    provider.sandbox.advanceClock(25 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect(await published('payment.voided', paid.id)).toHaveLength(1);
    expect(await ledgerOf(paid.id)).toEqual([]);
  });

  it("when a refund's answer is lost and the retry comes after the key was forgotten, then the refund is recorded once and the sale reversed once", async () => {
    const { order, paid } = await paidOrder();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    provider.loseAnswer.add('refund');
    // Only an older release could cancel a completed order; the refund path stays for it.
    await fx.cancelOrder(order, 5);
    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'captured',
      next_action: 'refund',
    });

    provider.sandbox.advanceClock(25 * HOUR_MS);
    await due(paid.id);
    await fx.settle();

    const refunded = await fx.paymentRow(paid.id);
    expect(refunded).toMatchObject({ status: 'refunded', next_action: null });
    expect(refunded.refund_id).toMatch(/^sandbox_re_/);
    expect(provider.sandbox.refundsMade).toBe(1);
    const lines = await ledgerOf(paid.id);
    expect(lines.filter((l) => l.kind === 'refund')).toHaveLength(3);
    expect(await ledgerSum(fx.db)).toBe(0);
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({
      pendingCents: 0,
      availableCents: 0,
    });
  });

  it('when the hold to void was captured at the provider, then the capture is recorded and refunded, and no payment.captured tells the buyer or the seller of a sale', async () => {
    const { order, paid } = await paidOrder();
    await fx.cancelOrder(order);
    // Captured at the provider all the same (by hand in its dashboard).
    await provider.sandbox.store.move(paid.providerId, ['authorized'], 'captured');
    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'captured',
      next_action: 'refund',
    });
    await fx.settle();

    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'refunded', next_action: null });
    expect((await provider.sandbox.store.hold(paid.providerId))?.status).toBe('refunded');
    expect(await ledgerSum(fx.db)).toBe(0);
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({
      pendingCents: 0,
      availableCents: 0,
    });
    // payment.captured is the buyer's receipt and the seller's "Sold": untrue for a cancelled order.
    expect(await published('payment.captured', paid.id)).toEqual([]);
    expect(await published('payment.refunded', paid.id)).toHaveLength(1);
  });

  it('when the settler refunds a captured payment whose order was cancelled, then payment.refunded is published once, as for a refund made in Stripe', async () => {
    const { order, paid } = await paidOrder();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    await fx.cancelOrder(order, 5);
    await fx.settle();
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('refunded');
    const events = await published('payment.refunded', paid.id);
    expect(events.map((e) => e.body.data)).toEqual([
      {
        id: paid.id,
        orderId: order.id,
        userId: order.userId,
        amount: order.ticket.price,
        ticketId: order.ticket.id,
        by: 'refund',
      },
    ]);
  });

  it('when the buyer disputes the charge before the refund of its cancelled order, then the refund is parked, not retried: counted refund_disputed, no posting, no payment.refunded, shown as unsettled refund_disputed', async () => {
    const { order, paid } = await paidOrder();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    await provider.sandbox.dispute(paid.providerId);
    const [disputedBefore, parkedBefore, refundsDue] = [
      await refundDisputed(),
      await unsettled('refund_disputed'),
      await unsettled('refund'),
    ];
    await fx.cancelOrder(order, 5);
    await fx.settle();

    const parked = await fx.paymentRow(paid.id);
    expect(parked).toMatchObject({
      status: 'captured',
      next_action: 'refund',
      next_attempt_at: null,
      action_attempts: 1,
    });
    expect(parked.last_error).toMatch(/disputed/);
    expect(await refundDisputed()).toBe(disputedBefore + 1);
    expect(await unsettled('refund_disputed')).toBe(parkedBefore + 1);
    expect(await unsettled('refund')).toBe(refundsDue);
    // No money moved: the sale stands in the ledger, nobody is told of a refund.
    expect((await ledgerOf(paid.id)).map((l) => l.kind)).toEqual(['charge', 'fee', 'proceeds']);
    expect(await published('payment.refunded', paid.id)).toEqual([]);

    // However long it waits, the settler does not ask again.
    for (let i = 0; i < 3; i++) {
      await fx.hoursPass(paid.id);
      await fx.settle();
    }
    expect(refundCalls(paid.providerId)).toHaveLength(1);
    expect(await refundDisputed()).toBe(disputedBefore + 1);
    expect((await fx.paymentRow(paid.id)).next_attempt_at).toBeNull();
  });

  it('when an operator resumes a parked refund after the platform won the dispute, then it is refunded once and the sale reversed', async () => {
    const { order, paid } = await paidOrder();
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    await provider.sandbox.dispute(paid.providerId);
    await fx.cancelOrder(order, 5);
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).next_attempt_at).toBeNull();

    await provider.sandbox.winDispute(paid.providerId);
    // The operator's resume: the parked refund is due again.
    await due(paid.id);
    await fx.settle();

    const refunded = await fx.paymentRow(paid.id);
    expect(refunded).toMatchObject({ status: 'refunded', next_action: null, last_error: null });
    expect(refunded.refund_id).toMatch(/^sandbox_re_/);
    expect((await ledgerOf(paid.id)).filter((l) => l.kind === 'refund')).toHaveLength(3);
    expect(await published('payment.refunded', paid.id)).toHaveLength(1);
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({
      pendingCents: 0,
      availableCents: 0,
    });
  });
});
