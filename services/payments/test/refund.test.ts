import { waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChargeRequest, PaymentProvider, RefundRequest } from '../src/providers/index.js';
import { SandboxProvider } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, storedFor } from './fixtures.js';

/** The sandbox, except that a charge for an order in `held` waits until released. */
class GatedProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly sandbox = new SandboxProvider();
  readonly refunds: RefundRequest[] = [];
  private readonly gates = new Map<
    string,
    { entered: boolean; release: () => void; open: Promise<void> }
  >();

  hold(orderId: string) {
    let release = () => {};
    const open = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate = { entered: false, release, open };
    this.gates.set(orderId, gate);
    return gate;
  }

  async charge(request: ChargeRequest) {
    const gate = this.gates.get(request.metadata.orderId!);
    if (gate) {
      gate.entered = true;
      await gate.open;
    }
    return this.sandbox.charge(request);
  }

  refund(request: RefundRequest) {
    this.refunds.push(request);
    return this.sandbox.refund(request);
  }
}

describe('refunding a payment whose order was cancelled', () => {
  let fx: PaymentsFixture;
  const provider = new GatedProvider();

  beforeAll(async () => {
    fx = await createPaymentsFixture({ provider });
  });
  afterAll(() => fx?.close());

  const refundsFor = (paymentId: string) =>
    provider.refunds.filter((r) => r.idempotencyKey === `refund_${paymentId}`);

  it('when order.cancelled arrives after the payment, then the payment is refunded once and the order stays cancelled', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    const payment = paid.json();

    await fx.cancelOrder(order);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.order?.status).toBe('cancelled');
    expect(stored.payments).toEqual([
      expect.objectContaining({
        id: payment.id,
        refunded_at: expect.any(Date),
        refund_id: expect.stringMatching(/^sandbox_re_/),
      }),
    ]);
    expect(refundsFor(payment.id)).toEqual([
      expect.objectContaining({ providerId: payment.providerId }),
    ]);

    // The same cancel again (a new event id) finds nothing left to refund.
    await fx.cancelOrder(order);
    expect(refundsFor(payment.id)).toHaveLength(1);

    const receipts = await fx.app.inject({
      method: 'GET',
      url: '/api/payments',
      headers: buyer.headers,
    });
    expect(receipts.json()).toEqual([
      expect.objectContaining({ id: payment.id, refundedAt: expect.any(String) }),
    ]);
    const again = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(again.json()).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
  });

  it('when the order is cancelled while its charge is in flight, then the cancel waits for the payment and refunds it', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const gate = provider.hold(order.id);
    const paying = fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    await waitFor(() => gate.entered, { message: 'the charge to start' });

    const cancel = await fx.publish('order.cancelled', {
      id: order.id,
      version: 1,
      ticket: order.ticket,
    });
    // The consumer must queue behind the payment's lock on the order row.
    await waitFor(
      async () => {
        const { rows } = await sql`
          SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(fx.db);
        return rows.length > 0;
      },
      { message: 'the cancel waiting on the order row' },
    );
    gate.release();
    const paid = await paying;
    expect(paid.statusCode).toBe(201);

    await fx.handled(cancel);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.order?.status).toBe('cancelled');
    expect(stored.payments[0]?.refunded_at).toBeInstanceOf(Date);
    expect(refundsFor(paid.json().id)).toHaveLength(1);
  });

  it('when an unpaid order is cancelled, then nothing is refunded', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const before = provider.refunds.length;
    await fx.cancelOrder(order);
    expect(provider.refunds.length).toBe(before);
  });
});
