import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@gittix/common';
import { startStripeStandIn, streamMessages, waitFor } from '@gittix/common/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, post } from '../src/ledger.js';
import type { PayoutRequest } from '../src/providers/index.js';
import {
  createPaymentsFixture,
  type PaymentsFixture,
  RecordingProvider,
  standInStripeProvider,
} from './fixtures.js';
import { postStripeWebhook, signStripe, stripeEvent } from './stripe-events.js';

const WEBHOOK_SECRET = 'whsec_gittix_payouts_secret';
/** The Connect endpoint (events on sellers' accounts) signs with a secret of its own. */
const CONNECT_WEBHOOK_SECRET = 'whsec_gittix_connect_secret';
const PUBLIC_URL = 'https://gittix.test';

/** Stripe, except that the process "dies" around the next `dieOnPayout` transfers. */
class DyingPayouts extends RecordingProvider {
  dieOnPayout: 'before' | 'after' | null = null;
  override async payout(request: PayoutRequest) {
    const when = this.dieOnPayout;
    this.dieOnPayout = null;
    if (when === 'before') throw new Error('process died before the transfer was sent');
    const sent = await super.payout(request);
    if (when === 'after') throw new Error('process died after Stripe made the transfer');
    return sent;
  }
}

describe('Stripe Connect payouts (the real SDK against the stand-in)', () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  let fx: PaymentsFixture;
  let provider: DyingPayouts;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
    provider = new DyingPayouts(standInStripeProvider(standIn));
    fx = await createPaymentsFixture({
      provider,
      env: {
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_WEBHOOK_SECRET,
        PUBLIC_URL: `${PUBLIC_URL}/`,
        PAYMENTS_RECONCILE_AFTER_MS: '50',
      },
    });
  });
  afterEach(() => {
    standIn.state.mode = 'up';
    standIn.state.delayMs = 0;
  });
  afterAll(async () => {
    await fx?.close();
    await standIn?.close();
  });

  /** A signed-in seller the users replica knows. */
  async function seller(emailVerified = true) {
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
  async function sell(sellerId: string, price: number) {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, {
      ticket: { id: randomUUID(), price, userId: sellerId, eventStartsAt: null },
    });
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    await fx.completeOrder(order, paid.json().id, { userId: sellerId, eventStartsAt: null });
    await fx.settle();
  }

  const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string>) =>
    fx.app.inject({ method, url, headers });
  const account = async (headers: Record<string, string>) =>
    (await call('GET', '/api/payouts/account', headers)).json();
  const balance = async (headers: Record<string, string>) =>
    (await call('GET', '/api/payouts/balance', headers)).json();
  const accountRow = (userId: string) =>
    fx.db
      .selectFrom('payout_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
  const payoutRows = (userId: string) =>
    fx.db.selectFrom('payouts').selectAll().where('user_id', '=', userId).execute();
  const transfersOf = (payoutId: string) =>
    [...standIn.transfers.values()].filter((t) => t.transfer_group === payoutId);

  const deliverEvent = (payload: string, signature: string) =>
    postStripeWebhook(fx.app, payload, signature);
  const accountUpdated = (
    object: object,
    created = Math.floor(Date.now() / 1000),
    livemode = false,
  ) => stripeEvent('account.updated', object, { created, livemode });
  const sign = (payload: string, secret = WEBHOOK_SECRET) => signStripe(payload, secret);

  /** A verified seller whose Connect account finished onboarding (said by the webhook). */
  async function enabledSeller() {
    const me = await seller();
    const connected = await call('POST', '/api/payouts/account', me.headers);
    expect(connected.statusCode).toBe(200);
    const { account_id } = (await accountRow(me.id))!;
    const payload = accountUpdated(standIn.completeOnboarding(account_id));
    expect((await deliverEvent(payload, sign(payload))).statusCode).toBe(200);
    return { ...me, accountId: account_id };
  }

  it('when not signed in, then the payout account routes are 401', async () => {
    for (const method of ['GET', 'POST'] as const) {
      expect((await fx.app.inject({ method, url: '/api/payouts/account' })).statusCode).toBe(401);
    }
  });

  it('when a verified seller connects, then one Express account is created under a key from their id, recorded, and an onboarding link back to /payouts is returned; again, the same account and a fresh link', async () => {
    const me = await seller();
    expect(await account(me.headers)).toEqual({ required: true, status: 'none' });
    const created = standIn.state.accountsCreated;

    const first = await call('POST', '/api/payouts/account', me.headers);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      required: true,
      status: 'pending',
      onboardingUrl: expect.stringMatching(new RegExp(`^${standIn.url}/connect/onboarding/`)),
      expiresAt: expect.any(String),
    });
    const row = await accountRow(me.id);
    expect(row).toMatchObject({
      provider: 'stripe',
      account_id: expect.stringMatching(/^acct_/),
      payouts_enabled: false,
    });
    const sent = standIn.requests.filter((r) => r.path === '/v1/accounts').at(-1)!;
    expect(sent.headers['idempotency-key']).toBe(`payout_account_${me.id}`);
    expect(Object.fromEntries(sent.params)).toMatchObject({
      type: 'express',
      email: `${me.id}@example.com`,
      'capabilities[transfers][requested]': 'true',
      'metadata[userId]': me.id,
    });
    expect(standIn.links.at(-1)).toEqual({
      id: expect.any(String),
      account: row!.account_id,
      refreshUrl: `${PUBLIC_URL}/payouts?onboarding=refresh`,
      returnUrl: `${PUBLIC_URL}/payouts?onboarding=done`,
    });

    const again = await call('POST', '/api/payouts/account', me.headers);
    expect(again.statusCode).toBe(200);
    expect(again.json().onboardingUrl).not.toBe(first.json().onboardingUrl);
    expect(standIn.state.accountsCreated - created).toBe(1);
    expect(await account(me.headers)).toEqual({ required: true, status: 'pending' });
  });

  it('when a seller connects twice at once, then Stripe creates one account and one is recorded', async () => {
    const me = await seller();
    const created = standIn.state.accountsCreated;
    const responses = await Promise.all([
      call('POST', '/api/payouts/account', me.headers),
      call('POST', '/api/payouts/account', me.headers),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(standIn.state.accountsCreated - created).toBe(1);
    const rows = await fx.db
      .selectFrom('payout_accounts')
      .selectAll()
      .where('user_id', '=', me.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('when the seller has not verified their email, then connecting is 403 and no account is made', async () => {
    const me = await seller(false);
    const created = standIn.state.accountsCreated;
    const response = await call('POST', '/api/payouts/account', me.headers);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ errors: [{ message: 'Verify your email first' }] });
    expect(standIn.state.accountsCreated).toBe(created);
    expect(await accountRow(me.id)).toBeUndefined();
  });

  it('when Stripe is down, then connecting is 503 in the error shape and nothing is recorded', async () => {
    const me = await seller();
    standIn.state.mode = 'error';
    const response = await call('POST', '/api/payouts/account', me.headers);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      errors: [{ message: 'Payment provider unavailable, try again later' }],
    });
    expect(await accountRow(me.id)).toBeUndefined();
  });

  it("when account.updated (signed by the Connect endpoint's secret) says payouts are enabled, then the account is enabled; a bad signature, a live event in test mode or an older event changes nothing", async () => {
    const me = await seller();
    await call('POST', '/api/payouts/account', me.headers);
    const { account_id } = (await accountRow(me.id))!;
    const before = { ...standIn.accounts.get(account_id)! };
    const enabled = standIn.completeOnboarding(account_id);
    const now = Math.floor(Date.now() / 1000);

    const forged = accountUpdated(enabled, now);
    const refused = await deliverEvent(forged, sign(forged, 'whsec_someone_else'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      errors: [{ message: 'Missing or invalid stripe-signature' }],
    });
    expect((await accountRow(me.id))?.payouts_enabled).toBe(false);

    // A live event at this test-mode endpoint (Connect URLs get both): ignored.
    const live = accountUpdated(enabled, now, true);
    expect((await deliverEvent(live, sign(live, CONNECT_WEBHOOK_SECRET))).statusCode).toBe(200);
    expect((await accountRow(me.id))?.payouts_enabled).toBe(false);

    // Connect events come signed with the Connect endpoint's secret.
    const payload = accountUpdated(enabled, now);
    expect((await deliverEvent(payload, sign(payload, CONNECT_WEBHOOK_SECRET))).statusCode).toBe(
      200,
    );
    expect(await accountRow(me.id)).toMatchObject({
      payouts_enabled: true,
      details_submitted: true,
    });
    // A delivery of an older state, late: the newer one stands.
    const stale = accountUpdated(before, now - 60);
    expect((await deliverEvent(stale, sign(stale))).statusCode).toBe(200);
    expect((await accountRow(me.id))?.payouts_enabled).toBe(true);
    expect(await account(me.headers)).toEqual({ required: true, status: 'enabled' });
  });

  it('when the seller is back from onboarding before the webhook, then GET /api/payouts/account asks Stripe and shows it enabled', async () => {
    const me = await seller();
    await call('POST', '/api/payouts/account', me.headers);
    const { account_id } = (await accountRow(me.id))!;
    standIn.completeOnboarding(account_id);
    expect(await account(me.headers)).toEqual({ required: true, status: 'enabled' });
    expect((await accountRow(me.id))?.payouts_enabled).toBe(true);
  });

  it('when account.updated names an account nobody connected, then 200 and nothing changes', async () => {
    const payload = accountUpdated({
      id: 'acct_unknown',
      object: 'account',
      payouts_enabled: true,
    });
    expect((await deliverEvent(payload, sign(payload))).statusCode).toBe(200);
  });

  it('when a seller with no payout account, or one still onboarding, asks for a payout, then 409 with what to do, and nothing moves', async () => {
    const me = await seller();
    await sell(me.id, 20);
    const none = await call('POST', '/api/payouts', me.headers);
    expect(none.statusCode).toBe(409);
    expect(none.json()).toEqual({ errors: [{ message: 'Connect a payout account first' }] });

    await call('POST', '/api/payouts/account', me.headers);
    const pending = await call('POST', '/api/payouts', me.headers);
    expect(pending.statusCode).toBe(409);
    expect(pending.json()).toEqual({
      errors: [{ message: 'Your payout account is not enabled yet: finish its onboarding' }],
    });
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 18, paidOut: 0 });
    expect(await payoutRows(me.id)).toEqual([]);
  });

  it('when an enabled seller asks for a payout, then one transfer of the available balance goes to their account under the payout id, and the ledger posts it as in the sandbox', async () => {
    const me = await enabledSeller();
    await sell(me.id, 50);
    await sell(me.id, 10);

    const response = await call('POST', '/api/payouts', me.headers);
    expect(response.statusCode).toBe(201);
    const paid = response.json();
    expect(paid).toEqual({
      id: expect.any(String),
      amount: 54,
      status: 'paid',
      createdAt: expect.any(String),
    });
    const [transfer, ...more] = transfersOf(paid.id);
    expect(more).toEqual([]);
    expect(transfer).toMatchObject({
      amount: 5400,
      currency: 'usd',
      destination: me.accountId,
      metadata: { payoutId: paid.id, userId: me.id },
    });
    const sent = standIn.requests.filter((r) => r.path === '/v1/transfers').at(-1)!;
    expect(sent.headers['idempotency-key']).toBe(`payout_${paid.id}`);
    const [row] = await payoutRows(me.id);
    expect(row).toMatchObject({
      status: 'paid',
      provider_id: transfer!.id,
      destination: me.accountId,
    });
    const lines = await fx.db
      .selectFrom('ledger_entries')
      .select(['account', 'amount_cents', 'kind'])
      .where('payout_id', '=', paid.id)
      .orderBy('amount_cents')
      .execute();
    expect(lines).toEqual([
      { account: `seller:${me.id}`, amount_cents: -5400, kind: 'payout' },
      { account: 'provider', amount_cents: 5400, kind: 'payout' },
    ]);
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 0, paidOut: 54 });
    expect(await ledgerSum(fx.db)).toBe(0);
    await fx.relay.drain();
    const events = await streamMessages<EventEnvelope<'payout.paid'>>(fx.bus, {
      subject: fx.bus.subjectOf('payout.paid'),
    });
    expect(events.filter((m) => m.body.data.id === paid.id)).toHaveLength(1);
  });

  it('when two payouts are asked for at once, then Stripe makes one transfer', async () => {
    const me = await enabledSeller();
    await sell(me.id, 30);
    const before = standIn.state.transfers;
    const responses = await Promise.all([
      call('POST', '/api/payouts', me.headers),
      call('POST', '/api/payouts', me.headers),
    ]);
    // One pays; the other finds nothing left (400) or that same payout (201).
    const ids = responses.filter((r) => r.statusCode === 201).map((r) => r.json().id);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ids).size).toBe(1);
    for (const other of responses.filter((r) => r.statusCode !== 201)) {
      expect(other.json()).toEqual({ errors: [{ message: 'Nothing to pay out' }] });
    }
    expect(standIn.state.transfers - before).toBe(1);
    expect(transfersOf(ids[0])).toHaveLength(1);
    expect(await payoutRows(me.id)).toHaveLength(1);
  });

  it('when the transfer answers after the timeout, then 503, the payout stays pending with the money set aside, and the settler finds the transfer instead of sending another', async () => {
    const me = await enabledSeller();
    await sell(me.id, 40);
    standIn.state.delayMs = 1_500;
    const late = await call('POST', '/api/payouts', me.headers);
    expect(late.statusCode).toBe(503);
    standIn.state.delayMs = 0;
    const [pending] = await payoutRows(me.id);
    expect(pending).toMatchObject({ status: 'pending', provider_id: null, claimed_until: null });
    expect(await balance(me.headers)).toEqual({ pending: 0, available: 0, paidOut: 36 });
    expect(transfersOf(pending!.id)).toHaveLength(1);

    await waitFor(async () => (await fx.settle()).payouts > 0, { timeoutMs: 5_000 });
    const [row] = await payoutRows(me.id);
    expect(row).toMatchObject({ status: 'paid', provider_id: transfersOf(pending!.id)[0]!.id });
    expect(transfersOf(pending!.id)).toHaveLength(1);
    const lookups = standIn.requests.filter(
      (r) => r.path === '/v1/transfers' && r.method === 'GET',
    );
    expect(lookups.length).toBeGreaterThan(0);
  });

  it("when the seller asks again after a transfer's answer was lost, then the payout is looked up at Stripe first and recorded paid without sending it again", async () => {
    const me = await enabledSeller();
    await sell(me.id, 30);
    standIn.state.delayMs = 1_500;
    expect((await call('POST', '/api/payouts', me.headers)).statusCode).toBe(503);
    standIn.state.delayMs = 0;
    const [pending] = await payoutRows(me.id);

    const retried = await call('POST', '/api/payouts', me.headers);
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toMatchObject({ id: pending!.id, amount: 27, status: 'paid' });
    const sends = standIn.requests.filter(
      (r) => r.method === 'POST' && r.headers['idempotency-key'] === `payout_${pending!.id}`,
    );
    // Found by its transfer_group: the retry sends nothing (a resend would be a second POST).
    expect(sends).toHaveLength(1);
    expect(transfersOf(pending!.id)).toHaveLength(1);
  });

  it("when a pending payout from before payout accounts has no destination, then it goes to the seller's enabled account once there is one", async () => {
    const me = await seller();
    await sell(me.id, 20);
    // What the previous release left in Stripe mode: a pending payout, money set aside, no destination.
    const legacy = await fx.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('payouts')
        .values({ user_id: me.id, amount_cents: 1800, status: 'pending', provider: 'stripe' })
        .returningAll()
        .executeTakeFirstOrThrow();
      await post(
        trx,
        [
          { account: `seller:${me.id}`, amountCents: -1800, kind: 'payout' },
          { account: 'provider', amountCents: 1800, kind: 'payout' },
        ],
        { payoutId: row.id },
      );
      return row;
    });
    const refused = await call('POST', '/api/payouts', me.headers);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ errors: [{ message: 'Connect a payout account first' }] });

    await call('POST', '/api/payouts/account', me.headers);
    const { account_id } = (await accountRow(me.id))!;
    standIn.completeOnboarding(account_id);
    await account(me.headers);
    await waitFor(async () => (await fx.settle()).payouts > 0, { timeoutMs: 5_000 });
    const [row] = await payoutRows(me.id);
    expect(row).toMatchObject({ id: legacy.id, status: 'paid', destination: account_id });
    expect(transfersOf(legacy.id)).toMatchObject([{ amount: 1800, destination: account_id }]);
  });

  for (const when of ['after', 'before'] as const) {
    it(`when the process dies ${when === 'after' ? 'after Stripe made the transfer' : 'before the transfer was sent'}, then the claimed payout waits out its claim and the settler pays it exactly once`, async () => {
      const me = await enabledSeller();
      await sell(me.id, 25);
      provider.dieOnPayout = when;
      const died = await call('POST', '/api/payouts', me.headers);
      expect(died.statusCode).toBe(500);
      const [pending] = await payoutRows(me.id);
      expect(pending).toMatchObject({ status: 'pending', amount_cents: 2250 });
      expect(transfersOf(pending!.id)).toHaveLength(when === 'after' ? 1 : 0);

      // A dead process leaves its claim: nobody touches the payout until it runs out.
      await fx.db
        .updateTable('payouts')
        .set({ claimed_until: new Date(Date.now() + 3_600_000) })
        .where('id', '=', pending!.id)
        .execute();
      expect((await fx.settle()).payouts).toBe(0);
      await fx.db
        .updateTable('payouts')
        .set({ claimed_until: new Date(Date.now() - 1_000) })
        .where('id', '=', pending!.id)
        .execute();
      await waitFor(async () => (await fx.settle()).payouts > 0, { timeoutMs: 5_000 });

      const [row] = await payoutRows(me.id);
      const transfers = transfersOf(pending!.id);
      expect(transfers).toHaveLength(1);
      expect(row).toMatchObject({ status: 'paid', provider_id: transfers[0]!.id });
      expect(await balance(me.headers)).toEqual({ pending: 0, available: 0, paidOut: 22.5 });
      // A later settler pass or a repeated request changes nothing.
      await fx.settle();
      expect((await call('POST', '/api/payouts', me.headers)).statusCode).toBe(400);
      expect(transfersOf(pending!.id)).toHaveLength(1);
      await fx.relay.drain();
      const events = await streamMessages<EventEnvelope<'payout.paid'>>(fx.bus, {
        subject: fx.bus.subjectOf('payout.paid'),
      });
      expect(events.filter((m) => m.body.data.id === pending!.id)).toHaveLength(1);
      expect(await ledgerSum(fx.db)).toBe(0);
    });
  }
});
