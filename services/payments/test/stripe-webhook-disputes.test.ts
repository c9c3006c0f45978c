import { randomUUID } from 'node:crypto';
import type { Subject } from '@gittix/common';
import { scrapeMetric, startStripeStandIn } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import type { PaymentProvider } from '../src/providers/index.js';
import {
  capturingLogger,
  createPaymentsFixture,
  type PaymentsFixture,
  standInStripeProvider,
} from './fixtures.js';
import { chargeInEvent, postStripeWebhook, signStripe, stripeEvent } from './stripe-events.js';

type StandIn = Awaited<ReturnType<typeof startStripeStandIn>>;

const WEBHOOK_SECRET = 'whsec_gittix_chargebacks_secret';
/** pino's levels. */
const WARN = 40;
const ERROR = 50;

describe("Stripe's webhook: a buyer disputes a completed sale (the real SDK against the stand-in)", () => {
  let standIn: StandIn;
  let provider: PaymentProvider;
  let fx: PaymentsFixture;
  const log = capturingLogger();

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    provider = standInStripeProvider(standIn);
    fx = await createPaymentsFixture({
      provider,
      env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, PUBLIC_URL: 'https://gittix.test/' },
      logger: log.logger,
    });
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  /** One Stripe event (one id): each call delivers it, as Stripe redelivers an event. */
  function stripeEventOf(type: string, object: object) {
    const payload = stripeEvent(type, object);
    return async () => {
      const response = await postStripeWebhook(
        fx.app,
        payload,
        signStripe(payload, WEBHOOK_SECRET),
      );
      expect(response.statusCode).toBe(200);
    };
  }
  const published = <S extends Subject>(subject: S, paymentId: string) =>
    fx.paymentEvents(subject, paymentId);
  const chargebacks = () =>
    scrapeMetric(fx.app, 'gittix_payments_total', { outcome: 'chargeback' });
  const linesAbout = (paymentId: string) => log.lines.filter((l) => l.paymentId === paymentId);

  /** A sale paid through Stripe, completed and captured: the seller is credited. */
  async function completedSale(sellerId: string = randomUUID()) {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, {
      ticket: { id: randomUUID(), price: 25.5, userId: sellerId, eventStartsAt: null },
    });
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.completeOrder(order, paid.id, { userId: sellerId, eventStartsAt: null });
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).status).toBe('captured');
    return { order, paid, buyerId: buyer.id, sellerId };
  }

  /** What the sale looks like to every reader: its row, ledger, events and the seller's balance. */
  async function saleState(sale: Awaited<ReturnType<typeof completedSale>>) {
    const row = await fx.paymentRow(sale.paid.id);
    return {
      status: row.status,
      nextAction: row.next_action,
      refundId: row.refund_id,
      disputeId: row.dispute_id,
      // The sale's own lines: Stripe's dispute fee is the platform's cost, posted apart
      // whatever the outcome (stripe-processing-fees.test.ts).
      ledger: (await fx.ledgerLines(sale.paid.id))
        .filter((l) => l.kind !== 'dispute_fee')
        .map((l) => [l.kind, l.amount_cents]),
      refunded: (await published('payment.refunded', sale.paid.id)).map((m) => m.body.data),
      balance: await sellerBalance(fx.db, sale.sellerId),
    };
  }

  it('when the buyer opens a dispute, then it is logged at warn level with the payment and order, and nothing changes', async () => {
    const sale = await completedSale();
    const before = await saleState(sale);
    const dispute = standIn.openDispute(sale.paid.providerId);

    await stripeEventOf('charge.dispute.created', dispute)();
    await stripeEventOf('charge.dispute.funds_withdrawn', dispute)();

    expect(await saleState(sale)).toEqual(before);
    expect(linesAbout(sale.paid.id)).toContainEqual(
      expect.objectContaining({
        level: WARN,
        orderId: sale.order.id,
        disputeId: dispute.id,
        disputedCents: 2550,
        msg: expect.stringContaining('the buyer disputes the charge'),
      }),
    );
  });

  it("when the buyer wins the dispute of the whole sale, then the sale is reversed once as by a refund: the dispute's id recorded, payment.refunded once (tickets takes the ticket back), counted chargeback; Stripe's redeliveries change nothing", async () => {
    const sale = await completedSale();
    const counted = await chargebacks();
    const dispute = standIn.openDispute(sale.paid.providerId);
    await stripeEventOf('charge.dispute.created', dispute)();

    const closed = stripeEventOf(
      'charge.dispute.closed',
      standIn.loseDispute(sale.paid.providerId),
    );
    await Promise.all([closed(), closed(), closed()]);
    await closed();

    const state = await saleState(sale);
    expect(state).toMatchObject({
      status: 'refunded',
      nextAction: null,
      refundId: null,
      disputeId: dispute.id,
      refunded: [
        {
          id: sale.paid.id,
          orderId: sale.order.id,
          userId: sale.buyerId,
          amount: 25.5,
          ticketId: sale.order.ticket.id,
          by: 'chargeback',
        },
      ],
      balance: { pendingCents: 0, availableCents: 0, paidOutCents: 0 },
    });
    expect(state.ledger.filter(([kind]) => kind === 'refund')).toHaveLength(3);
    expect(await chargebacks()).toBe(counted + 1);
    expect(await ledgerSum(fx.db)).toBe(0);
    // No refund at Stripe: the chargeback gave the money back.
    expect(standIn.intents.get(sale.paid.providerId)?.refunds).toEqual([]);
  });

  const orders = [
    ['created', 'withdrawn', 'closed'],
    ['closed', 'created', 'withdrawn'],
    ['withdrawn', 'closed', 'created'],
    ['closed', 'closed', 'created', 'withdrawn', 'closed'],
  ];
  it.each(orders)(
    'when Stripe delivers a lost dispute in the order %s, %s, %s…, then the sale ends reversed once, as in any other order',
    async (...sequence: string[]) => {
      const sale = await completedSale();
      const counted = await chargebacks();
      const opened = standIn.openDispute(sale.paid.providerId);
      const events = {
        created: stripeEventOf('charge.dispute.created', opened),
        withdrawn: stripeEventOf('charge.dispute.funds_withdrawn', opened),
        closed: stripeEventOf('charge.dispute.closed', standIn.loseDispute(sale.paid.providerId)),
      };
      for (const name of sequence) await events[name as keyof typeof events]();

      const state = await saleState(sale);
      expect(state).toMatchObject({ status: 'refunded', disputeId: opened.id });
      expect(state.ledger.filter(([kind]) => kind === 'refund')).toHaveLength(3);
      expect(state.refunded).toHaveLength(1);
      expect(await chargebacks()).toBe(counted + 1);
    },
  );

  it('when the buyer wins a dispute of part of the sale, then that part is reversed in proportion (the platform’s fee and the seller’s proceeds cut) once, whatever the order and repetition of the events; the sale stands and the buyer keeps the ticket', async () => {
    const sale = await completedSale();
    const before = await saleState(sale);
    const counted = await chargebacks();
    const opened = standIn.openDispute(sale.paid.providerId, {
      amount: 1000,
      reason: 'product_unacceptable',
    });
    const lost = stripeEventOf('charge.dispute.closed', standIn.loseDispute(sale.paid.providerId));

    await lost();
    await stripeEventOf('charge.dispute.created', opened)();
    await lost();

    // $10.00 of $25.50 back: the platform gives back its fee's share (10 % of it, $1.00),
    // the seller the rest ($9.00).
    const after = await saleState(sale);
    expect(after).toMatchObject({ status: 'captured', disputeId: opened.id, refunded: [] });
    const part = after.ledger.filter(([kind]) => kind === 'partial_refund');
    expect(part.map(([, cents]) => cents).sort((a, b) => Number(a) - Number(b))).toEqual([
      -900, -100, 1000,
    ]);
    expect(after.balance.availableCents).toBe(before.balance.availableCents - 900);
    expect(await chargebacks()).toBe(counted + 1);
    expect(linesAbout(sale.paid.id)).toContainEqual(
      expect.objectContaining({
        level: WARN,
        chargedBackCents: 1000,
        msg: expect.stringContaining('partial chargeback lost'),
      }),
    );
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when the platform wins the dispute of a completed sale, then the sale stands, nothing changes', async () => {
    const sale = await completedSale();
    const before = await saleState(sale);
    standIn.openDispute(sale.paid.providerId);

    await stripeEventOf('charge.dispute.closed', standIn.winDispute(sale.paid.providerId))();
    await stripeEventOf(
      'charge.dispute.funds_reinstated',
      standIn.disputes.get(sale.paid.providerId)!,
    )();

    expect(await saleState(sale)).toEqual(before);
  });

  it('when a dispute closes with a status payments does not know (prevented), then nothing changes and it is logged at error level', async () => {
    const sale = await completedSale();
    const before = await saleState(sale);
    const dispute = standIn.openDispute(sale.paid.providerId);

    await stripeEventOf('charge.dispute.closed', { ...dispute, status: 'prevented' })();

    expect(await saleState(sale)).toEqual(before);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: ERROR, disputeId: dispute.id, status: 'prevented' }),
    );
  });

  it('when a dispute names a PaymentIntent payments does not know, then 200 and nothing changes', async () => {
    const sale = await completedSale();
    const before = await saleState(sale);
    const dispute = standIn.openDispute(sale.paid.providerId);

    await stripeEventOf('charge.dispute.closed', {
      ...dispute,
      status: 'lost',
      payment_intent: 'pi_of_another_integration',
    })();

    expect(await saleState(sale)).toEqual(before);
  });

  describe('after the seller was paid out', () => {
    /** A verified seller whose Connect account finished onboarding (said by the webhook). */
    async function paidOutSeller() {
      const seller = await fx.buyer();
      await fx.deliver('user.created', {
        id: seller.id,
        version: 0,
        email: `${seller.id}@example.com`,
        emailVerified: true,
      });
      const connect = await fx.app.inject({
        method: 'POST',
        url: '/api/payouts/account',
        headers: seller.headers,
      });
      expect(connect.statusCode).toBe(200);
      const { account_id } = await fx.db
        .selectFrom('payout_accounts')
        .select('account_id')
        .where('user_id', '=', seller.id)
        .executeTakeFirstOrThrow();
      await stripeEventOf('account.updated', standIn.completeOnboarding(account_id))();
      const sale = await completedSale(seller.id);
      expect((await payout(seller.headers)).statusCode).toBe(201);
      return { seller, sale };
    }
    const payout = (headers: Record<string, string>) =>
      fx.app.inject({ method: 'POST', url: '/api/payouts', headers });

    it('when the buyer charges the sale back, then the seller owes the proceeds, exactly as after a refund, and their next sale pays that back first', async () => {
      const refunded = await paidOutSeller();
      const refundId = (
        await provider.refund({
          providerId: refunded.sale.paid.providerId,
          idempotencyKey: `dashboard_refund_${refunded.sale.paid.id}`,
          metadata: {},
        })
      ).refundId;
      await stripeEventOf(
        'charge.refunded',
        chargeInEvent(standIn.intents.get(refunded.sale.paid.providerId)!),
      )();
      expect((await fx.paymentRow(refunded.sale.paid.id)).refund_id).toBe(refundId);

      const chargedBack = await paidOutSeller();
      standIn.openDispute(chargedBack.sale.paid.providerId);
      const lost = standIn.loseDispute(chargedBack.sale.paid.providerId);
      await stripeEventOf('charge.dispute.closed', lost)();

      const owing = { pendingCents: 0, availableCents: -2295, paidOutCents: 2295 };
      expect(await sellerBalance(fx.db, refunded.seller.id)).toEqual(owing);
      expect(await sellerBalance(fx.db, chargedBack.seller.id)).toEqual(owing);
      expect(await ledgerSum(fx.db)).toBe(0);

      await completedSale(chargedBack.seller.id);
      expect(await sellerBalance(fx.db, chargedBack.seller.id)).toMatchObject({
        availableCents: 0,
      });
      const nothing = await payout(chargedBack.seller.headers);
      expect(nothing.statusCode).toBe(400);
      expect(nothing.json()).toEqual({ errors: [{ message: 'Nothing to pay out' }] });
    });
  });
});
