import type { Subject } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum, sellerBalance } from '../src/ledger.js';
import {
  type AuthorizeRequest,
  ProviderUnavailableError,
  SandboxProvider,
  type SettleRequest,
} from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

/** The sandbox, with switches: captures fail for a while, an authorization waits for a gate. */
class TroubledProvider extends RecordingProvider {
  failCaptures = 0;
  /** orderId → the gate its authorization waits for after the sandbox authorized it. */
  readonly gates = new Map<string, Promise<void>>();
  /** Orders whose request "dies" right after the provider authorized. */
  readonly dieAfter = new Set<string>();
  constructor(readonly sandbox = new SandboxProvider()) {
    super(sandbox);
  }
  override async authorize(request: AuthorizeRequest) {
    const result = await super.authorize(request);
    await this.gates.get(request.metadata.orderId);
    if (this.dieAfter.has(request.metadata.orderId)) throw new Error('process died');
    return result;
  }
  override async capture(request: SettleRequest) {
    if (this.failCaptures > 0) {
      this.failCaptures--;
      throw new ProviderUnavailableError();
    }
    return super.capture(request);
  }
}

describe('authorize, then capture or void', () => {
  let fx: PaymentsFixture;
  const provider = new TroubledProvider();

  beforeAll(async () => {
    fx = await createPaymentsFixture({
      provider,
      env: { PAYMENTS_RECONCILE_AFTER_MS: '50', PAYMENTS_RETRY_BACKOFF_MS: '60000' },
    });
  });
  afterAll(() => fx?.close());

  const published = <S extends Subject>(subject: S, paymentId: string) =>
    fx.paymentEvents(subject, paymentId);

  it('when the order completes, then the payment is captured with a 10% fee, the ledger balances and payment.captured is published', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    expect(paid.status).toBe('authorized');
    expect((await provider.sandbox.store.hold(paid.providerId))?.status).toBe('authorized');

    await fx.completeOrder(order, paid.id);
    expect((await fx.paymentRow(paid.id)).next_action).toBe('capture');
    await fx.settle();

    const row = await fx.paymentRow(paid.id);
    expect(row).toMatchObject({ status: 'captured', fee_cents: 255, next_action: null });
    expect((await provider.sandbox.store.hold(paid.providerId))?.status).toBe('captured');
    expect(provider.captures.map((c) => c.idempotencyKey)).toContain(`capture_${paid.id}`);
    const [captured, ...more] = await published('payment.captured', paid.id);
    expect(more).toEqual([]);
    expect(captured!.body.data).toEqual({
      id: paid.id,
      orderId: order.id,
      userId: buyer.id,
      sellerId: order.ticket.userId,
      amount: 25.5,
      fee: 2.55,
      ticketId: order.ticket.id,
    });
    expect(await ledgerSum(fx.db)).toBe(0);
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toEqual({
      pendingCents: 0,
      availableCents: 2295,
      paidOutCents: 0,
    });

    // A repeated order.completed captures nothing more.
    await fx.completeOrder(order, paid.id);
    await fx.settle();
    expect(provider.captures.filter((c) => c.metadata.paymentId === paid.id)).toHaveLength(1);
  });

  it("when the ticket's event starts later, then the proceeds stay pending until then", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    const startsAt = new Date(Date.now() + 86_400_000);
    await fx.completeOrder(order, paid.id, { eventStartsAt: startsAt.toISOString() });
    await fx.settle();
    expect(await sellerBalance(fx.db, order.ticket.userId!)).toEqual({
      pendingCents: 2295,
      availableCents: 0,
      paidOutCents: 0,
    });
    expect(
      await sellerBalance(fx.db, order.ticket.userId!, new Date(startsAt.getTime() + 1)),
    ).toMatchObject({ pendingCents: 0, availableCents: 2295 });
  });

  it('when the order is cancelled after authorization, then the hold is voided, payment.voided is published and nothing is captured', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    await fx.cancelOrder(order);
    await fx.settle();

    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'voided', next_action: null });
    expect((await provider.sandbox.store.hold(paid.providerId))?.status).toBe('voided');
    expect(await published('payment.voided', paid.id)).toHaveLength(1);
    expect(await published('payment.captured', paid.id)).toEqual([]);
  });

  it('when the cancel lands while the provider is authorizing, then the request says cancelled, the hold is voided and no payment is captured', async () => {
    const races = 5;
    for (let i = 0; i < races; i++) {
      const buyer = await fx.buyer();
      const order = await fx.createOrder(buyer.id);
      let open!: () => void;
      provider.gates.set(order.id, new Promise<void>((resolve) => (open = resolve)));
      const paying = fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
      await waitFor(() => provider.charges.some((c) => c.metadata.orderId === order.id));
      const cancelling = fx.cancelOrder(order);
      // Either order of the two commits must end the same way.
      if (i % 2 === 0) await cancelling;
      open();
      const response = await paying;
      await cancelling;
      await fx.settle();
      const [row] = await fx.db
        .selectFrom('payments')
        .selectAll()
        .where('order_id', '=', order.id)
        .execute();
      expect(row!.status).toBe('voided');
      expect((await provider.sandbox.store.hold(row!.provider_id!))?.status).toBe('voided');
      if (i % 2 === 0) {
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual({
          errors: [{ message: 'Cannot pay for a cancelled order' }],
        });
      }
    }
    const capturedForCancelled = await fx.db
      .selectFrom('payments')
      .innerJoin('orders', 'orders.id', 'payments.order_id')
      .where('orders.status', '=', 'cancelled')
      .where('payments.status', '=', 'captured')
      .select('payments.id')
      .execute();
    expect(capturedForCancelled).toEqual([]);
  });

  it('when the provider fails a capture, then it is retried with backoff (never dead-lettered) and succeeds later', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    provider.failCaptures = 1;
    await fx.completeOrder(order, paid.id);
    await fx.settle();

    const failed = await fx.paymentRow(paid.id);
    expect(failed).toMatchObject({
      status: 'authorized',
      next_action: 'capture',
      action_attempts: 1,
    });
    expect(failed.last_error).toMatch(/unavailable/);
    // Backoff 60 s in this file: the next pass leaves it alone.
    expect(failed.next_attempt_at!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    await fx.settle();
    expect((await fx.paymentRow(paid.id)).action_attempts).toBe(1);

    await fx.db
      .updateTable('payments')
      .set({ next_attempt_at: new Date() })
      .where('id', '=', paid.id)
      .execute();
    await fx.settle();
    expect(await fx.paymentRow(paid.id)).toMatchObject({ status: 'captured', next_action: null });
  });

  it('when the request dies between the provider authorizing and the commit, then reconciliation finds the payment at the provider and settles it', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    provider.dieAfter.add(order.id);
    const died = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(died.statusCode).toBe(500);
    const [pending] = await fx.db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .execute();
    expect(pending).toMatchObject({ status: 'pending', provider_id: null });
    expect(await provider.sandbox.findAuthorization(pending!.id)).toMatchObject({
      status: 'authorized',
    });

    await waitFor(async () => (await fx.settle()).reconciled > 0, { timeoutMs: 5_000 });
    const settled = await fx.paymentRow(pending!.id);
    expect(settled.status).toBe('authorized');
    expect(settled.provider_id).toMatch(/^sandbox_pi_/);
    expect(await published('payment.created', pending!.id)).toHaveLength(1);
  });

  it('when a pending attempt never reached the provider, then reconciliation drops it and the buyer can pay again', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const orphan = await fx.orphanAttempt(order, buyer.id);
    await waitFor(async () => (await fx.settle()).reconciled > 0, { timeoutMs: 5_000 });
    expect(
      await fx.db.selectFrom('payments').where('id', '=', orphan.id).selectAll().execute(),
    ).toEqual([]);
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
  });
});
