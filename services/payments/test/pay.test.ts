import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../src/providers/index.js';
import {
  createPaymentsFixture,
  orderCreated,
  type PaymentsFixture,
  RecordingProvider,
  storedFor,
} from './fixtures.js';

describe('POST /api/payments', () => {
  let fx: PaymentsFixture;
  const provider = new RecordingProvider(new SandboxProvider());

  beforeAll(async () => {
    fx = await createPaymentsFixture({ provider });
  });
  afterAll(() => fx?.close());

  const chargesFor = (orderId: string) =>
    provider.charges.filter((c) => c.metadata.orderId === orderId);

  it('when not signed in, then 401 and nothing is charged', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const response = await fx.pay({}, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ errors: [{ message: 'Not signed in' }] });
    expect(chargesFor(order.id)).toHaveLength(0);
    const invalid = await fx.pay({}, {});
    expect(invalid.statusCode).toBe(401);
  });

  it('when the body is invalid, then 400 names every bad field', async () => {
    const buyer = await fx.buyer();
    const empty = await fx.pay(buyer.headers, {});
    expect(empty.statusCode).toBe(400);
    expect(
      empty
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['orderId', 'token']);

    const malformed = await fx.pay(buyer.headers, { orderId: 'not-an-id', token: '  ' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors).toEqual(
      expect.arrayContaining([
        { field: 'orderId', message: 'orderId must be an order id' },
        { field: 'token', message: 'token must be a card token' },
      ]),
    );
  });

  it('when the order is unknown, then 404', async () => {
    const buyer = await fx.buyer();
    const response = await fx.pay(buyer.headers, { orderId: randomUUID(), token: 'tok_visa' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ errors: [{ message: 'Order not found' }] });
  });

  it('when the order was placed a moment ago and its order.created is still on the way, then the payment waits for it and is 201', async () => {
    const buyer = await fx.buyer();
    const order = orderCreated({ userId: buyer.id });
    const paying = fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    await fx.deliver('order.created', order);
    const response = await paying;
    expect(response.statusCode).toBe(201);
    expect(chargesFor(order.id)).toHaveLength(1);
  });

  it("when the order is someone else's, then 404 at once and nothing is charged", async () => {
    const owner = await fx.buyer();
    const stranger = await fx.buyer();
    const order = await fx.createOrder(owner.id);
    const started = Date.now();
    const response = await fx.pay(stranger.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(404);
    // The replica knows the order: nothing to wait for.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(chargesFor(order.id)).toHaveLength(0);
  });

  it('when paid with tok_visa, then 201 with the amount in dollars, the fee already shown, and payment.created is published', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, { ticket: { id: randomUUID(), price: 1234.56 } });
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });

    expect(response.statusCode).toBe(201);
    const payment = response.json();
    expect(payment).toEqual({
      id: expect.any(String),
      orderId: order.id,
      amount: 1234.56,
      // The platform's part is shown from the start: 10 % of 1234.56, to the cent.
      fee: 123.46,
      // Nothing given back.
      refunded: 0,
      status: 'authorized',
      providerId: expect.stringMatching(/^sandbox_pi_[0-9a-f-]{36}$/),
      createdAt: expect.any(String),
    });
    expect(chargesFor(order.id)).toEqual([
      expect.objectContaining({
        amountCents: 123456,
        currency: 'usd',
        token: 'tok_visa',
        idempotencyKey: `payment_${payment.id}`,
        metadata: expect.objectContaining({ orderId: order.id }),
      }),
    ]);

    const published = (await fx.publishedPayments()).filter(
      (m) => m.body.data.orderId === order.id,
    );
    expect(published).toHaveLength(1);
    expect(published[0]!.msgId).toBe(published[0]!.body.id);
    expect(published[0]!.body).toMatchObject({
      type: 'payment.created',
      data: { id: payment.id, orderId: order.id, providerId: payment.providerId },
    });
  });

  it('when the order was cancelled, then 400 and nothing is charged', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    await fx.cancelOrder(order);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
    expect(chargesFor(order.id)).toHaveLength(0);
  });

  it('when the order expired but its cancel has not arrived, then 400 and nothing is charged', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id, {
      expiresAt: new Date(Date.now() - 1_000).toISOString(),
    });
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
    expect(chargesFor(order.id)).toHaveLength(0);
    expect((await storedFor(fx.db, order.id)).order?.status).toBe('created');
  });

  /** An open order for a ticket whose event starts `inMs` from now (negative: it has started). */
  const orderForEventStartingIn = async (buyerId: string, inMs: number) =>
    fx.createOrder(buyerId, {
      ticket: {
        id: randomUUID(),
        price: 25.5,
        userId: randomUUID(),
        eventStartsAt: new Date(Date.now() + inMs).toISOString(),
      },
    });

  it('when the event started while the ticket was on hold, then 400 and nothing is charged', async () => {
    const buyer = await fx.buyer();
    const order = await orderForEventStartingIn(buyer.id, -1_000);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'The event has started' }] });
    expect(chargesFor(order.id)).toHaveLength(0);
    expect((await storedFor(fx.db, order.id)).payments).toEqual([]);
  });

  it('when the event starts later, then the hold is paid as any other', async () => {
    const buyer = await fx.buyer();
    const order = await orderForEventStartingIn(buyer.id, 60_000);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(response.statusCode).toBe(201);
    expect(chargesFor(order.id)).toHaveLength(1);
  });

  it('when the order is already paid, then 400 and no second charge', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    expect((await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).statusCode).toBe(
      201,
    );
    const again = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({ errors: [{ message: 'Order already paid' }] });
    expect(chargesFor(order.id)).toHaveLength(1);
  });

  it('when the card is declined, then 402, no payment is stored or published, and the decline is recorded', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const response = await fx.pay(buyer.headers, {
      orderId: order.id,
      token: 'tok_chargeDeclined',
    });
    expect(response.statusCode).toBe(402);
    expect(response.json()).toEqual({ errors: [{ message: 'Your card was declined' }] });
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toEqual([]);
    expect(stored.declines).toMatchObject([{ attempt: 0 }]);
    const published = await fx.publishedPayments();
    expect(published.filter((m) => m.body.data.orderId === order.id)).toEqual([]);
  });

  it('when a declined buyer retries with a good card, then the retry is a new charge (next idempotency key) and succeeds', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const declined = await fx.pay(buyer.headers, {
      orderId: order.id,
      token: 'tok_chargeDeclined',
    });
    expect(declined.statusCode).toBe(402);
    const declinedAgain = await fx.pay(buyer.headers, {
      orderId: order.id,
      token: 'tok_chargeDeclined',
    });
    expect(declinedAgain.statusCode).toBe(402);
    const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(paid.statusCode).toBe(201);
    // One key per attempt row (`payment_<id>`): each decline's row is gone, the next is new.
    const charges = chargesFor(order.id);
    expect(charges.map((c) => c.idempotencyKey)).toEqual(
      charges.map((c) => `payment_${c.metadata.paymentId}`),
    );
    expect(new Set(charges.map((c) => c.idempotencyKey)).size).toBe(3);
    expect(charges[2]!.metadata.paymentId).toBe(paid.json().id);
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toHaveLength(1);
    expect(stored.declines.map((d) => d.attempt)).toEqual([0, 1]);
  });

  it('when the token is not a sandbox test token, then 400 on token and nothing is recorded', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_made_up' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: 'Unknown test token', field: 'token' }],
    });
    const stored = await storedFor(fx.db, order.id);
    expect(stored.payments).toEqual([]);
    expect(stored.declines).toEqual([]);
  });
});

describe('GET /api/payments', () => {
  let fx: PaymentsFixture;

  beforeAll(async () => {
    fx = await createPaymentsFixture();
  });
  afterAll(() => fx?.close());

  it('when not signed in, then 401', async () => {
    const response = await fx.app.inject({ method: 'GET', url: '/api/payments' });
    expect(response.statusCode).toBe(401);
  });

  it("when a buyer has paid, then they see their own payments newest first and nobody else's", async () => {
    const buyer = await fx.buyer();
    const other = await fx.buyer();
    const paidIds: string[] = [];
    for (const price of [10, 20.25, 30]) {
      const order = await fx.createOrder(buyer.id, { ticket: { id: randomUUID(), price } });
      const response = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
      paidIds.push(response.json().id);
    }
    const theirs = await fx.createOrder(other.id);
    await fx.pay(other.headers, { orderId: theirs.id, token: 'tok_visa' });

    const response = await fx.app.inject({
      method: 'GET',
      url: '/api/payments',
      headers: buyer.headers,
    });
    expect(response.statusCode).toBe(200);
    const receipts = response.json();
    expect(receipts.map((r: { id: string }) => r.id)).toEqual(paidIds.reverse());
    expect(receipts.map((r: { amount: number }) => r.amount)).toEqual([30, 20.25, 10]);
    expect(receipts[0]).toEqual({
      id: expect.any(String),
      orderId: expect.any(String),
      amount: 30,
      fee: 3,
      refunded: 0,
      status: 'authorized',
      providerId: expect.stringMatching(/^sandbox_pi_/),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
  });

  it("when a buyer asks for one payment, then 200 for theirs and 404 for someone else's or a malformed id", async () => {
    const buyer = await fx.buyer();
    const other = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const paid = (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
    const get = (id: string, headers: Record<string, string>) =>
      fx.app.inject({ method: 'GET', url: `/api/payments/${id}`, headers });
    const mine = await get(paid.id, buyer.headers);
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual(paid);
    expect((await get(paid.id, other.headers)).statusCode).toBe(404);
    expect((await get('not-an-id', buyer.headers)).statusCode).toBe(404);
  });

  it('when a buyer has not paid for anything, then the list is empty', async () => {
    const buyer = await fx.buyer();
    const response = await fx.app.inject({
      method: 'GET',
      url: '/api/payments',
      headers: buyer.headers,
    });
    expect(response.json()).toEqual([]);
  });
});
