import { randomUUID } from 'node:crypto';
import { scrapeMetric, standInProcessingFee, startStripeStandIn } from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FEES_ACCOUNT,
  ledgerSum,
  PROCESSING_ACCOUNT,
  PROVIDER_ACCOUNT,
  sellerAccount,
  sellerBalance,
} from '../src/ledger.js';
import { PROCESSING_FEE_RECHECK_MS, recordProcessingFee } from '../src/processing-fees.js';
import type { PaymentProvider } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, standInStripeProvider } from './fixtures.js';
import { chargeInEvent, deliverStripeEvent } from './stripe-events.js';

const WEBHOOK_SECRET = 'whsec_gittix_processing_fees';

describe("Stripe's fees: what Stripe keeps of a sale, and charges for a dispute, is in the ledger", () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let provider: PaymentProvider;
  let fx: PaymentsFixture;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    provider = standInStripeProvider(standIn);
    fx = await createPaymentsFixture({ provider, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  });
  afterEach(() => {
    standIn.state.fundsLate = false;
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  const feeLines = async (paymentId: string) =>
    (await fx.ledgerLines(paymentId)).filter((line) => line.kind === 'processing_fee');

  /** Retrieves of the PaymentIntent that asked for its charge's balance transaction. */
  const feeLookups = (providerId: string) =>
    standIn.requests.filter(
      (r) =>
        r.method === 'GET' &&
        r.path === `/v1/payment_intents/${providerId}` &&
        [...r.query.values()].includes('latest_charge.balance_transaction'),
    ).length;

  /** The minute between two lookups of a fee Stripe did not say yet has passed. */
  async function recheckDue(paymentId: string) {
    await fx.db
      .updateTable('payments')
      .set({ processing_fee_checked_at: new Date(Date.now() - PROCESSING_FEE_RECHECK_MS - 1) })
      .where('id', '=', paymentId)
      .execute();
  }

  it('when a sale is captured, then the fee Stripe kept is posted against the platform, the seller’s proceeds untouched, and the provider account holds what Stripe holds', async () => {
    const { order, paid } = await fx.capturedSale();
    const fee = standInProcessingFee(2550);

    expect((await fx.paymentRow(paid.id)).processing_fee_cents).toBe(fee);
    const lines = await feeLines(paid.id);
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map((line) => line.posting_id)).size).toBe(1);
    const platformFee = (await fx.paymentRow(paid.id)).fee_cents;
    expect(await fx.accountTotals(paid.id)).toEqual({
      // Stripe holds the charge less its fee; the seller's part and ours are as before.
      [PROVIDER_ACCOUNT]: -(2550 - fee),
      [FEES_ACCOUNT]: platformFee,
      [PROCESSING_ACCOUNT]: -fee,
      [sellerAccount(order.ticket.userId!)]: 2550 - platformFee,
    });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when the settler passes again, or two replicas pass at once, then the fee is posted once and Stripe is not asked again', async () => {
    standIn.state.fundsLate = true;
    const { paid } = await fx.capturedSale();
    standIn.settleFunds(paid.providerId);
    await recheckDue(paid.id);

    await Promise.all([fx.settle(), fx.settle(), fx.settle()]);
    expect(await feeLines(paid.id)).toHaveLength(2);
    const asked = feeLookups(paid.providerId);
    expect(asked).toBe(2); // the capture's pass, then one of the three

    await recheckDue(paid.id);
    await fx.settle();
    expect(feeLookups(paid.providerId)).toBe(asked);
    // Recording it directly, twice at once: one posting.
    const again = await Promise.all([
      recordProcessingFee(fx.db, paid.id, 99),
      recordProcessingFee(fx.db, paid.id, 99),
    ]);
    expect(again).toEqual([false, false]);
    expect(await feeLines(paid.id)).toHaveLength(2);
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when Stripe has no balance transaction for the charge yet, then nothing is posted, and it is asked again a minute later, not on every pass', async () => {
    standIn.state.fundsLate = true;
    const { paid } = await fx.capturedSale();
    const row = await fx.paymentRow(paid.id);
    expect(row.processing_fee_cents).toBeNull();
    expect(row.processing_fee_checked_at).not.toBeNull();
    expect(await feeLines(paid.id)).toEqual([]);
    expect(feeLookups(paid.providerId)).toBe(1);

    standIn.settleFunds(paid.providerId);
    await fx.settle();
    expect(feeLookups(paid.providerId)).toBe(1);
    expect(await feeLines(paid.id)).toEqual([]);

    await recheckDue(paid.id);
    expect((await fx.settle()).processingFees).toBeGreaterThanOrEqual(1);
    expect((await fx.paymentRow(paid.id)).processing_fee_cents).toBe(standInProcessingFee(2550));
    expect(await feeLines(paid.id)).toHaveLength(2);
  });

  it('when a fee is not recorded yet, then /metrics counts it as unsettled (kind processing_fee), aged from the capture, until it is', async () => {
    const waiting = () =>
      scrapeMetric(fx.app, 'gittix_payments_unsettled', { kind: 'processing_fee' });
    const before = await waiting();
    standIn.state.fundsLate = true;
    const { paid } = await fx.capturedSale();
    expect(await waiting()).toBe(before + 1);
    const age = await scrapeMetric(fx.app, 'gittix_payments_oldest_unsettled_age_seconds', {
      kind: 'processing_fee',
    });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);

    standIn.settleFunds(paid.providerId);
    await recheckDue(paid.id);
    await fx.settle();
    expect(await waiting()).toBe(before);
  });

  it('when Stripe cannot be reached, then the fee waits and is posted once it answers', async () => {
    standIn.state.fundsLate = true;
    const { paid } = await fx.capturedSale();
    standIn.settleFunds(paid.providerId);
    standIn.state.mode = 'error';
    try {
      await recheckDue(paid.id);
      await fx.settle();
      expect((await fx.paymentRow(paid.id)).processing_fee_cents).toBeNull();
    } finally {
      standIn.state.mode = 'up';
    }
    await recheckDue(paid.id);
    await fx.settle();
    expect(await feeLines(paid.id)).toHaveLength(2);
  });

  it('when a lookup fails, then the rest of the batch is not asked in that pass (each could take the provider timeout): all are asked again a minute later', async () => {
    standIn.state.fundsLate = true;
    const sales = [await fx.capturedSale(), await fx.capturedSale()];
    for (const { paid } of sales) {
      standIn.settleFunds(paid.providerId);
      await recheckDue(paid.id);
    }
    const asked = () => sales.reduce((sum, { paid }) => sum + feeLookups(paid.providerId), 0);
    const before = asked();
    standIn.state.mode = 'error';
    try {
      await fx.settle();
    } finally {
      standIn.state.mode = 'up';
    }
    expect(asked()).toBe(before + 1);
    for (const { paid } of sales) await recheckDue(paid.id);
    await fx.settle();
    for (const { paid } of sales) expect(await feeLines(paid.id)).toHaveLength(2);
  });

  it('when a sale is refunded, then the refund reverses the sale but not the fee, which Stripe keeps: the platform bears it', async () => {
    const { order, paid } = await fx.capturedSale();
    const fee = standInProcessingFee(2550);
    const dashboard = { providerId: paid.providerId, metadata: {} };
    await provider.refund({ ...dashboard, idempotencyKey: `dashboard_refund_${paid.id}` });
    const refunded = await deliverStripeEvent(
      fx.app,
      WEBHOOK_SECRET,
      'charge.refunded',
      chargeInEvent(standIn.intents.get(paid.providerId)!),
    );
    expect(refunded.statusCode).toBe(200);
    expect((await fx.paymentRow(paid.id)).status).toBe('refunded');

    expect(await fx.accountTotals(paid.id)).toEqual({
      [PROVIDER_ACCOUNT]: fee,
      [FEES_ACCOUNT]: 0,
      [PROCESSING_ACCOUNT]: -fee,
      [sellerAccount(order.ticket.userId!)]: 0,
    });
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toMatchObject({ availableCents: 0 });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when a refund is recorded before the capture was (its answer lost), then the fee of the charge Stripe captured is still looked up and posted', async () => {
    standIn.state.fundsLate = true;
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id);
    const dashboard = { providerId: paid.providerId, metadata: {} };
    await provider.capture({ ...dashboard, idempotencyKey: `dashboard_capture_${paid.id}` });
    await provider.refund({ ...dashboard, idempotencyKey: `dashboard_refund_${paid.id}` });
    await deliverStripeEvent(
      fx.app,
      WEBHOOK_SECRET,
      'charge.refunded',
      chargeInEvent(standIn.intents.get(paid.providerId)!),
    );
    expect((await fx.paymentRow(paid.id)).status).toBe('refunded');

    standIn.settleFunds(paid.providerId);
    await fx.settle();
    const fee = standInProcessingFee(2550);
    expect((await fx.paymentRow(paid.id)).processing_fee_cents).toBe(fee);
    expect(await fx.accountTotals(paid.id)).toEqual({
      [PROVIDER_ACCOUNT]: fee,
      [PROCESSING_ACCOUNT]: -fee,
    });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  const deliverDispute = async (type: string, dispute: object) => {
    const response = await deliverStripeEvent(fx.app, WEBHOOK_SECRET, type, dispute);
    expect(response.statusCode).toBe(200);
  };
  /** The dispute fees posted for the payment: their sum at the provider, and how many postings. */
  async function disputeFees(paymentId: string) {
    const lines = (await fx.ledgerLines(paymentId)).filter((line) => line.kind === 'dispute_fee');
    const accounts = await fx.accountTotals(paymentId);
    return {
      postings: new Set(lines.map((line) => line.posting_id)).size,
      processing: accounts[PROCESSING_ACCOUNT],
    };
  }

  it('when a sale is charged back, then Stripe’s dispute fee is posted once, whatever the order and repetition of the dispute’s events', async () => {
    const { paid } = await fx.capturedSale();
    const fee = standInProcessingFee(2550);
    const opened = standIn.openDispute(paid.providerId);
    const lost = standIn.loseDispute(paid.providerId);

    // The close first, then the open, each twice.
    await deliverDispute('charge.dispute.closed', lost);
    await deliverDispute('charge.dispute.created', opened);
    await deliverDispute('charge.dispute.closed', lost);
    await deliverDispute('charge.dispute.created', opened);

    expect(await disputeFees(paid.id)).toEqual({ postings: 1, processing: -fee - 1500 });
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'refunded',
      dispute_fee_cents: 1500,
      dispute_funds_seen: 1,
    });
    // Stripe holds nothing of the sale (the chargeback took it back) and is owed both fees.
    expect((await fx.accountTotals(paid.id))[PROVIDER_ACCOUNT]).toBe(fee + 1500);
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when Stripe gives a dispute fee back in a later balance transaction, then the ledger follows it, and older news changes nothing', async () => {
    const { paid } = await fx.capturedSale();
    const opened = standIn.openDispute(paid.providerId);
    await deliverDispute('charge.dispute.created', opened);
    expect(await disputeFees(paid.id)).toMatchObject({ postings: 1 });

    const won = standIn.winDispute(paid.providerId);
    const [withdrawal] = won.balance_transactions;
    const feeBack = {
      ...withdrawal,
      id: `txn_${randomUUID().slice(0, 8)}`,
      amount: 0,
      fee: -1500,
      net: 1500,
      reporting_category: 'fee',
    };
    const settled = { ...won, balance_transactions: [...won.balance_transactions, feeBack] };
    await deliverDispute('charge.dispute.closed', won);
    await deliverDispute('charge.dispute.updated', settled);
    await deliverDispute('charge.dispute.created', opened);
    await deliverDispute('charge.dispute.closed', won);

    const fees = await disputeFees(paid.id);
    expect(fees.postings).toBe(2);
    expect(await fx.paymentRow(paid.id)).toMatchObject({
      status: 'captured',
      dispute_fee_cents: 0,
      dispute_funds_seen: 3,
    });
    expect(fees.processing).toBe(-standInProcessingFee(2550));
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when a dispute is an inquiry (no money withdrawn), then no dispute fee is posted', async () => {
    const { paid } = await fx.capturedSale();
    await deliverDispute(
      'charge.dispute.created',
      standIn.openDispute(paid.providerId, { inquiry: true }),
    );
    await deliverDispute('charge.dispute.closed', standIn.winDispute(paid.providerId));
    expect(await disputeFees(paid.id)).toMatchObject({ postings: 0 });
    expect((await fx.paymentRow(paid.id)).dispute_fee_cents).toBe(0);
  });
});
