import { randomUUID } from 'node:crypto';
import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../src/ledger.js';
import {
  type PayoutRequest,
  ProviderUnavailableError,
  SandboxProvider,
} from '../src/providers/index.js';
import { recordRefund } from '../src/settle.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

/** The sandbox; payouts fail while `failPayouts` > 0, and one payout call can be held at a gate. */
class GatedPayouts extends RecordingProvider {
  failPayouts = 0;
  gate: Promise<void> | undefined;
  /** The payout held at the gate. */
  held: PayoutRequest | undefined;
  override async payout(request: PayoutRequest) {
    if (this.failPayouts > 0) {
      this.failPayouts--;
      throw new ProviderUnavailableError();
    }
    const gate = this.gate;
    if (gate) {
      this.gate = undefined;
      this.held = request;
      await gate;
    }
    return super.payout(request);
  }
  /** A transfer still in flight is not there to find yet (the old sandbox never found any). */
  override async findPayout(_payoutId: string) {
    return null;
  }
}

describe('payouts settled by the settler while the seller asks again', () => {
  let fx: PaymentsFixture;
  const sandbox = new SandboxProvider();
  const provider = new GatedPayouts(sandbox);

  beforeAll(async () => {
    fx = await createPaymentsFixture({
      provider,
      // Provider calls may take long; claims are aged by hand below.
      providerTimeoutMs: 30_000,
      env: { PAYMENTS_RECONCILE_AFTER_MS: '50' },
    });
  });
  afterAll(() => fx?.close());

  async function seller() {
    const session = await fx.buyer();
    await fx.deliver('user.created', {
      id: session.id,
      version: 0,
      email: `${session.id}@example.com`,
      emailVerified: true,
    });
    return session;
  }

  async function sell(sellerId: string, price: number) {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, {
      ticket: { id: randomUUID(), price, userId: sellerId },
    });
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    await fx.completeOrder(order, paid.json().id, { userId: sellerId });
    await fx.settle();
    return paid.json() as { id: string };
  }

  const payout = (headers: Record<string, string>) =>
    fx.app.inject({ method: 'POST', url: '/api/payouts', headers });

  it("when the settler's claim on a cut payout ran out during its batch and the seller was paid meanwhile, then the settler does not pay it again", async () => {
    // Two sellers, each with a payout set aside while the provider was down, each then
    // losing a sale to a refund (so whichever payout is sent is cut first).
    const sellers = [await seller(), await seller()];
    const refunded: string[] = [];
    for (const me of sellers) {
      refunded.push((await sell(me.id, 40)).id);
      await sell(me.id, 20);
    }
    for (const me of sellers) {
      provider.failPayouts = 1;
      expect((await payout(me.headers)).statusCode).toBe(503);
    }
    for (const id of refunded) {
      const row = await fx.paymentRow(id);
      await fx.db.transaction().execute((trx) => recordRefund(trx, row, { refundId: `re_${id}` }));
    }
    const pending = await fx.db
      .selectFrom('payouts')
      .selectAll()
      .where(
        'user_id',
        'in',
        sellers.map((s) => s.id),
      )
      .execute();
    expect(pending.map((p) => [p.status, Number(p.amount_cents)])).toEqual([
      ['pending', 5400],
      ['pending', 5400],
    ]);
    await waitFor(
      async () =>
        (
          await fx.db
            .selectFrom('payouts')
            .select('id')
            .where(
              'id',
              'in',
              pending.map((p) => p.id),
            )
            .where('updated_at', '<=', new Date(Date.now() - 100))
            .execute()
        ).length === 2,
      { message: 'both payouts to be stale' },
    );

    // The settler claims both in one batch; the first one's transfer takes long.
    let open!: () => void;
    provider.gate = new Promise<void>((resolve) => (open = resolve));
    const settling = fx.settle();
    await waitFor(() => provider.held !== undefined, { message: 'the first payout at the gate' });
    const first = pending.find((p) => p.id === provider.held!.payoutId)!;
    const second = pending.find((p) => p.id !== first.id)!;
    const secondSeller = sellers.find((s) => s.id === second.user_id)!;
    // Meanwhile the second payout's claim runs out (as it does when earlier ones take
    // the provider timeout each), and its seller asks again: it is cut and paid.
    await fx.db
      .updateTable('payouts')
      .set({ claimed_until: new Date(Date.now() - 1_000) })
      .where('id', '=', second.id)
      .execute();
    const asked = await payout(secondSeller.headers);
    expect(asked.statusCode).toBe(201);
    expect(asked.json()).toMatchObject({ id: second.id, amount: 18, status: 'paid' });

    open();
    await settling;
    // The seller is owed $18, and $18 is what left for them: once.
    const sent = provider.payouts
      .filter((p) => p.userId === secondSeller.id)
      .map((p) => p.amountCents);
    expect(sent.reduce((sum, cents) => sum + cents, 0)).toBe(1800);
    const rows = await fx.db
      .selectFrom('payouts')
      .selectAll()
      .where('id', 'in', [first.id, second.id])
      .execute();
    expect(rows.map((r) => [r.status, Number(r.amount_cents)])).toEqual([
      ['paid', 1800],
      ['paid', 1800],
    ]);
    expect(await ledgerSum(fx.db)).toBe(0);
  });
});
