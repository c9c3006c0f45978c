import { randomUUID } from 'node:crypto';
import type { Subject } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import {
  type AuthorizeRequest,
  type PayoutRequest,
  ProviderUnavailableError,
  SandboxProvider,
} from '../src/providers/index.js';
import { recordRefund } from '../src/settle.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

/** The sandbox, whose answers can be lost after it acted (a timeout, a dropped connection). */
class LosingAnswers extends RecordingProvider {
  /** Orders whose next authorization's answer is lost after the sandbox authorized. */
  readonly authorizeLost = new Set<string>();
  /** Sellers whose next payout's answer is lost after the sandbox paid it. */
  readonly payoutLost = new Set<string>();
  constructor(readonly sandbox = new SandboxProvider()) {
    super(sandbox);
  }
  override async authorize(request: AuthorizeRequest) {
    const result = await super.authorize(request);
    if (this.authorizeLost.delete(request.metadata.orderId)) throw new ProviderUnavailableError();
    return result;
  }
  override async payout(request: PayoutRequest) {
    const result = await super.payout(request);
    if (this.payoutLost.delete(request.userId)) throw new ProviderUnavailableError();
    return result;
  }
}

describe('answers the provider gave but this service never heard', () => {
  let fx: PaymentsFixture;
  const provider = new LosingAnswers();

  beforeAll(async () => {
    fx = await createPaymentsFixture({ provider, env: { PAYMENTS_RECONCILE_AFTER_MS: '50' } });
  });
  afterAll(() => fx?.close());

  /** The events of `subject` about payment `paymentId`, once the outbox is drained. */
  async function published<S extends Subject>(subject: S, paymentId: string) {
    const events = await fx.publishedEvents(subject);
    return events.filter((e) => (e.data as { id: string }).id === paymentId);
  }

  const attemptOf = async (orderId: string) =>
    fx.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();

  /** A buyer pays and the provider authorizes, but its answer is lost (503): the attempt and its hold. */
  async function lostAuthorization() {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    provider.authorizeLost.add(order.id);
    expect((await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).statusCode).toBe(
      503,
    );
    const attempt = (await attemptOf(order.id))!;
    const hold = (await provider.sandbox.findAuthorization(attempt.id))!;
    return { buyer, order, attempt, hold };
  }

  /** Runs reconciliation until the order's attempt is no longer pending. */
  async function reconciled(orderId: string) {
    await waitFor(
      async () => {
        await fx.settle();
        return (await attemptOf(orderId))?.status !== 'pending';
      },
      { message: 'reconciliation to settle the attempt', intervalMs: 20 },
    );
  }

  it('when the buyer retries a lost authorization with a token the provider does not know, then the attempt is kept and reconciliation records the hold', async () => {
    const { buyer, order, attempt, hold } = await lostAuthorization();
    expect(hold.status).toBe('authorized');

    const retry = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_typo' });
    expect(retry.statusCode).toBe(400);
    // The provider holds the buyer's money under this attempt: its row must stay.
    expect(await attemptOf(order.id)).toMatchObject({ id: attempt.id, status: 'pending' });
    await reconciled(order.id);
    expect(await attemptOf(order.id)).toMatchObject({ id: attempt.id, status: 'authorized' });
    expect(await published('payment.created', attempt.id)).toHaveLength(1);
  });

  it('when the provider released a hold before its lost authorization was recorded, then it is recorded voided and orders is never told it was paid', async () => {
    const { order, attempt, hold } = await lostAuthorization();
    // Released at the provider (Stripe cancels an uncaptured PaymentIntent after 7 days,
    // an operator in the dashboard): no money is held.
    await provider.sandbox.store.move(hold.providerId, ['authorized'], 'voided');

    await reconciled(order.id);
    expect(await attemptOf(order.id)).toMatchObject({ status: 'voided', next_action: null });
    // payment.created would have orders complete the order: the ticket, for no money.
    expect(await published('payment.created', attempt.id)).toEqual([]);
    expect(await published('payment.voided', attempt.id)).toHaveLength(1);
  });

  it("when a sandbox payout's answer is lost and a refund cuts it before the retry, then the seller is not paid a second time", async () => {
    const session = await fx.buyer();
    await fx.deliver('user.created', {
      id: session.id,
      version: 0,
      email: `${session.id}@example.com`,
      emailVerified: true,
    });
    const sales: string[] = [];
    for (const price of [40, 20]) {
      const buyer = await fx.buyer();
      const order = await fx.createOrder(buyer.id, {
        ticket: { id: randomUUID(), price, userId: session.id },
      });
      const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
      await fx.completeOrder(order, paid.json().id, { userId: session.id });
      await fx.settle();
      sales.push(paid.json().id);
    }
    // The sandbox pays $54 out, but the answer is lost: the payout stays pending.
    provider.payoutLost.add(session.id);
    const first = await fx.app.inject({
      method: 'POST',
      url: '/api/payouts',
      headers: session.headers,
    });
    expect(first.statusCode).toBe(503);
    // A buyer is refunded meanwhile: the seller owes the platform $36 once paid.
    const refunded = await fx.paymentRow(sales[0]!);
    await fx.db
      .transaction()
      .execute((trx) => recordRefund(trx, refunded, { refundId: `re_${refunded.id}` }));

    await waitFor(
      async () => {
        await fx.settle();
        const [row] = await fx.db
          .selectFrom('payouts')
          .selectAll()
          .where('user_id', '=', session.id)
          .execute();
        return row?.status !== 'pending';
      },
      { message: 'the settler to settle the payout', intervalMs: 20 },
    );
    const sent = provider.payouts.filter((p) => p.userId === session.id);
    const [row] = await fx.db
      .selectFrom('payouts')
      .selectAll()
      .where('user_id', '=', session.id)
      .execute();
    // $54 left for the seller's bank, once: the payout is paid as it was sent.
    expect({ status: row!.status, amount: Number(row!.amount_cents) }).toEqual({
      status: 'paid',
      amount: 5400,
    });
    expect(new Set(sent.map((p) => p.idempotencyKey)).size).toBe(1);
    expect(sandboxPaid(sent)).toBe(5400);
    // The refund is the seller's debt now, as after any payout.
    expect(await sellerBalance(fx.db, session.id)).toMatchObject({ availableCents: -3600 });
    expect(await ledgerSum(fx.db)).toBe(0);
  });
});

/** What the sandbox paid for these requests: each key pays once. */
function sandboxPaid(requests: PayoutRequest[]) {
  const byKey = new Map(requests.map((p) => [p.idempotencyKey, p.amountCents]));
  return [...byKey.values()].reduce((sum, cents) => sum + cents, 0);
}
