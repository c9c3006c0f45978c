import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@gittix/common';
import { streamMessages, testLogger, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, PROVIDER_ACCOUNT, post, sellerAccount } from '../src/ledger.js';
import { requestPayout } from '../src/payouts.js';
import {
  type PayoutRequest,
  ProviderUnavailableError,
  SandboxProvider,
} from '../src/providers/index.js';
import { recordRefund } from '../src/settle.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

/** The sandbox, except that the next `failPayouts` payouts find the provider down. */
class FlakyPayouts extends RecordingProvider {
  failPayouts = 0;
  override async payout(request: PayoutRequest) {
    if (this.failPayouts > 0) {
      this.failPayouts--;
      throw new ProviderUnavailableError();
    }
    return super.payout(request);
  }
}

describe('fees, the ledger and payouts', () => {
  let fx: PaymentsFixture;
  const sandbox = new SandboxProvider();
  const provider = new FlakyPayouts(sandbox);

  beforeAll(async () => {
    fx = await createPaymentsFixture({ provider, env: { PAYMENTS_RECONCILE_AFTER_MS: '50' } });
  });
  afterAll(() => fx?.close());

  /** A signed-in seller the users replica knows, verified or not. */
  async function seller(emailVerified: boolean) {
    const session = await fx.buyer();
    await fx.deliver('user.created', {
      id: session.id,
      version: 0,
      email: `${session.id}@example.com`,
      emailVerified,
    });
    return session;
  }

  /** A buyer pays `price` for one of the seller's tickets and the sale is captured. */
  async function sell(sellerId: string, price: number, eventStartsAt: string | null = null) {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, {
      ticket: { id: randomUUID(), price, userId: sellerId, eventStartsAt },
    });
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    await fx.completeOrder(order, paid.json().id, { userId: sellerId, eventStartsAt });
    await fx.settle();
    return paid.json();
  }

  const balance = async (headers: Record<string, string>) =>
    (await fx.app.inject({ method: 'GET', url: '/api/payouts/balance', headers })).json();
  const payout = (headers: Record<string, string>) =>
    fx.app.inject({ method: 'POST', url: '/api/payouts', headers });

  it('when not signed in, then every payouts route is 401', async () => {
    for (const [method, url] of [
      ['GET', '/api/payouts/balance'],
      ['POST', '/api/payouts'],
      ['GET', '/api/payouts'],
    ] as const) {
      expect((await fx.app.inject({ method, url })).statusCode).toBe(401);
    }
  });

  it('when sales are captured, then the fee is 10% rounded to the cent, proceeds wait for the event, and the ledger sums to zero', async () => {
    const me = await seller(true);
    const now = await sell(me.id, 19.99);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await sell(me.id, 100, later);

    expect((await fx.paymentRow(now.id)).fee_cents).toBe(200);
    expect(await balance(me.headers)).toEqual({ pending: 90, available: 17.99, paidOut: 0 });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when a verified seller requests a payout, then everything available is paid out once, payout.paid is published and the balance moves to paid out', async () => {
    const me = await seller(true);
    await sell(me.id, 50);
    await sell(me.id, 30, new Date(Date.now() + 3_600_000).toISOString());

    const response = await payout(me.headers);
    expect(response.statusCode).toBe(201);
    const paid = response.json();
    expect(paid).toEqual({
      id: expect.any(String),
      amount: 45,
      status: 'paid',
      createdAt: expect.any(String),
    });
    expect(await balance(me.headers)).toEqual({ pending: 27, available: 0, paidOut: 45 });
    expect(await ledgerSum(fx.db)).toBe(0);

    const again = await payout(me.headers);
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({ errors: [{ message: 'Nothing to pay out' }] });

    const list = await fx.app.inject({ method: 'GET', url: '/api/payouts', headers: me.headers });
    expect(list.json()).toEqual([paid]);
    await fx.relay.drain();
    const events = await streamMessages<EventEnvelope<'payout.paid'>>(fx.bus, {
      subject: fx.bus.subjectOf('payout.paid'),
    });
    expect(events.filter((m) => m.body.data.id === paid.id).map((m) => m.body.data)).toEqual([
      { id: paid.id, userId: me.id, amount: 45 },
    ]);
  });

  it("when this host's clock is a minute behind the database's, then a payout just made is not read as pending and paid again", async () => {
    const me = await seller(true);
    // Proceeds available since an hour ago (a sale whose event has started).
    await fx.db.transaction().execute((trx) =>
      post(
        trx,
        [
          { account: PROVIDER_ACCOUNT, amountCents: -4000, kind: 'charge' },
          {
            account: sellerAccount(me.id),
            amountCents: 4000,
            kind: 'proceeds',
            availableAt: new Date(Date.now() - 3_600_000),
          },
        ],
        {},
      ),
    );
    const behind = {
      db: fx.db,
      provider,
      providerTimeoutMs: 5_000,
      logger: testLogger,
      clock: () => new Date(Date.now() - 60_000),
    };
    expect((await requestPayout(behind, me.id)).amount).toBe(40);
    await expect(requestPayout(behind, me.id)).rejects.toThrow('Nothing to pay out');
    expect(provider.payouts.filter((p) => p.userId === me.id).map((p) => p.amountCents)).toEqual([
      4000,
    ]);
  });

  it('when a seller is owed more than a 32-bit count of cents ($21,474,836.47), then the whole of it is paid out', async () => {
    const me = await seller(true);
    const past = new Date(Date.now() - 3_600_000);
    // Two sales of up to $11,000,000 each would take many tickets; two postings stand in.
    for (let i = 0; i < 2; i++) {
      await fx.db.transaction().execute((trx) =>
        post(
          trx,
          [
            { account: PROVIDER_ACCOUNT, amountCents: -1_100_000_000, kind: 'charge' },
            {
              account: sellerAccount(me.id),
              amountCents: 1_100_000_000,
              kind: 'proceeds',
              availableAt: past,
            },
          ],
          {},
        ),
      );
    }
    const response = await payout(me.headers);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ amount: 22_000_000, status: 'paid' });
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 0, paidOut: 22_000_000 });
  });

  it('when a seller asks for two payouts at once, then the money moves once (the second finds nothing left, or the same payout)', async () => {
    const me = await seller(true);
    await sell(me.id, 10);
    const before = sandbox.payoutsMade;
    const responses = await Promise.all([payout(me.headers), payout(me.headers)]);
    const paid = responses.filter((r) => r.statusCode === 201).map((r) => r.json().id);
    expect(paid.length).toBeGreaterThanOrEqual(1);
    expect(new Set(paid).size).toBe(1);
    for (const other of responses.filter((r) => r.statusCode !== 201)) {
      expect(other.statusCode).toBe(400);
    }
    expect(sandbox.payoutsMade - before).toBe(1);
    expect((await balance(me.headers)).paidOut).toBe(9);
  });

  it('when the provider is down for a payout, then 503, the money is set aside as a pending payout, and the next request pays that one', async () => {
    const me = await seller(true);
    await sell(me.id, 20);
    provider.failPayouts = 1;
    const down = await payout(me.headers);
    expect(down.statusCode).toBe(503);
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 0, paidOut: 18 });
    const [pending] = (
      await fx.app.inject({ method: 'GET', url: '/api/payouts', headers: me.headers })
    ).json();
    expect(pending).toMatchObject({ amount: 18, status: 'pending' });

    const retried = await payout(me.headers);
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toMatchObject({ id: pending.id, amount: 18, status: 'paid' });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when the seller has not verified their email, then 403 and nothing moves', async () => {
    const me = await seller(false);
    await sell(me.id, 10);
    const response = await payout(me.headers);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ errors: [{ message: 'Verify your email first' }] });
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 9, paidOut: 0 });

    // Verified later (user.updated, newer version): now it pays.
    await fx.deliver('user.updated', {
      id: me.id,
      version: 1,
      email: `${me.id}@example.com`,
      emailVerified: true,
    });
    expect((await payout(me.headers)).statusCode).toBe(201);
  });

  it('when the provider is the sandbox, then no payout account is needed: GET says so and connecting one is 409', async () => {
    const me = await seller(true);
    const shown = await fx.app.inject({
      method: 'GET',
      url: '/api/payouts/account',
      headers: me.headers,
    });
    expect(shown.json()).toEqual({ required: false, status: 'none' });
    const connect = await fx.app.inject({
      method: 'POST',
      url: '/api/payouts/account',
      headers: me.headers,
    });
    expect(connect.statusCode).toBe(409);
    expect(connect.json()).toEqual({
      errors: [{ message: 'Payouts need no payout account with this provider' }],
    });
  });

  it('when a sandbox payout failed and the seller never asks again, then the settler pays it, once', async () => {
    const me = await seller(true);
    await sell(me.id, 40);
    provider.failPayouts = 1;
    expect((await payout(me.headers)).statusCode).toBe(503);
    const before = sandbox.payoutsMade;
    await waitFor(async () => (await fx.settle()).payouts > 0, { timeoutMs: 10_000 });
    const [paid] = (
      await fx.app.inject({ method: 'GET', url: '/api/payouts', headers: me.headers })
    ).json();
    expect(paid).toMatchObject({ amount: 36, status: 'paid' });
    expect(sandbox.payoutsMade - before).toBe(1);
    await fx.settle();
    expect(sandbox.payoutsMade - before).toBe(1);
  });

  /** The buyer of a captured sale gets their money back (a refund in Stripe's dashboard, say). */
  async function refund(paymentId: string) {
    const row = await fx.paymentRow(paymentId);
    await fx.db
      .transaction()
      .execute((trx) => recordRefund(trx, row, { refundId: `re_${paymentId}` }));
  }

  const payoutsOf = async (headers: Record<string, string>) =>
    (await fx.app.inject({ method: 'GET', url: '/api/payouts', headers })).json();

  it('when a sale is refunded while its payout waits to be sent, then the payout goes out cut by the refund, or is cancelled when nothing is left', async () => {
    const me = await seller(true);
    const refunded = await sell(me.id, 40);
    await sell(me.id, 20);
    provider.failPayouts = 1;
    expect((await payout(me.headers)).statusCode).toBe(503);
    await refund(refunded.id);
    const before = provider.payouts.length;

    const retried = await payout(me.headers);
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toMatchObject({ amount: 18, status: 'paid' });
    expect(provider.payouts.slice(before).map((p) => p.amountCents)).toEqual([1800]);
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 0, paidOut: 18 });
    expect(await ledgerSum(fx.db)).toBe(0);

    // Every sale behind a waiting payout refunded: nothing is sent, the payout is cancelled.
    const other = await seller(true);
    const only = await sell(other.id, 30);
    provider.failPayouts = 1;
    expect((await payout(other.headers)).statusCode).toBe(503);
    await refund(only.id);
    const sent = provider.payouts.length;
    await waitFor(
      async () => {
        await fx.settle();
        return (await payoutsOf(other.headers))[0]?.status === 'cancelled';
      },
      { message: 'the settler to cancel the payout', timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(provider.payouts.length).toBe(sent);
    expect(await balance(other.headers)).toEqual({ pending: 0, available: 0, paidOut: 0 });
    expect(await ledgerSum(fx.db)).toBe(0);
  });

  it('when the users replica has never heard of the seller, then 403', async () => {
    const stranger = await fx.buyer();
    expect((await payout(stranger.headers)).statusCode).toBe(403);
  });

  it('when an older user.updated arrives after a newer one, then the replica keeps the newer', async () => {
    const me = await seller(true);
    await fx.deliver('user.updated', {
      id: me.id,
      version: 2,
      email: 'new@example.com',
      emailVerified: true,
    });
    await fx.deliver('user.updated', {
      id: me.id,
      version: 1,
      email: 'old@example.com',
      emailVerified: false,
    });
    const row = await fx.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', me.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ version: 2, email: 'new@example.com', email_verified: true });
  });
});
