import type { Order, Payment, Ticket } from '@gittix/api-types';
import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/client.js';
import { type RunningSystem, startSystem } from '../harness/system.js';

describe('buying a ticket across the running services', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    // As in production: each service its own NATS user, allowed only its own subjects,
    // and its own Postgres runtime role: rows of its own database, no DDL.
    system = await startSystem({
      web: false,
      orderExpirationSeconds: 3,
      natsAuth: true,
      databaseRoles: true,
    });
  });
  afterAll(() => system?.stop());

  async function listTicket(seller: ApiClient, title: string, price = 42.5): Promise<Ticket> {
    const created = await seller.post<Ticket>('/api/tickets', { title, price });
    expect(created.status).toBe(201);
    return created.body;
  }

  /** Orders the ticket once the orders service's replica has it. */
  async function order(buyer: ApiClient, ticketId: string) {
    let last: { status: number; body: Order } | undefined;
    await waitFor(
      async () => {
        last = await buyer.post<Order>('/api/orders', { ticketId });
        return last.status !== 404;
      },
      { message: 'the ticket to reach the orders service' },
    );
    return last!;
  }

  it('when a buyer orders and pays, then the order completes and the ticket is sold to it', async () => {
    const seller = new ApiClient(system.baseUrl);
    const buyer = new ApiClient(system.baseUrl);
    const sellerAccount = await seller.signUp('seller');
    const me = await buyer.signUp('buyer');
    expect((await buyer.get('/api/users/currentuser')).body).toEqual({
      currentUser: { ...me, emailVerified: false },
    });

    const ticket = await listTicket(seller, 'Flow concert');
    const ordered = await order(buyer, ticket.id);
    expect(ordered.status).toBe(201);
    expect(ordered.body).toMatchObject({
      status: 'created',
      ticket: { id: ticket.id, price: 42.5 },
    });

    const reserved = await buyer.eventually<Ticket>(
      `/api/tickets/${ticket.id}`,
      (r) => r.body.orderId === ordered.body.id,
      'the ticket reserved by the order',
    );
    expect(reserved.body.version).toBe(1);
    expect((await seller.put(`/api/tickets/${ticket.id}`, { title: 'x', price: 1 })).status).toBe(
      400,
    );

    const declined = await waitFor(
      async () => {
        const r = await buyer.post('/api/payments', {
          orderId: ordered.body.id,
          token: 'tok_chargeDeclined',
        });
        return r.status !== 404 && r;
      },
      { message: 'the order to reach the payments service' },
    );
    expect(declined.status).toBe(402);

    const paid = await buyer.post<Payment>('/api/payments', {
      orderId: ordered.body.id,
      token: 'tok_visa',
    });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({
      orderId: ordered.body.id,
      amount: 42.5,
      status: 'authorized',
      fee: 4.25,
    });

    const complete = await buyer.eventually<Order>(
      `/api/orders/${ordered.body.id}`,
      (r) => r.body.status === 'complete',
      'the order to complete',
    );
    expect(complete.body.status).toBe('complete');
    // Captured once the order completed, with the platform's 10 % fee.
    const captured = await buyer.eventually<Payment>(
      `/api/payments/${paid.body.id}`,
      (r) => r.body.status === 'captured',
      'the payment to be captured',
    );
    expect(captured.body.fee).toBe(4.25);
    const balance = await seller.eventually<{ pending: number; available: number }>(
      '/api/payouts/balance',
      (r) => r.body.available > 0,
      "the seller's proceeds",
    );
    expect(balance.body).toEqual({ pending: 0, available: 38.25, paidOut: 0 });

    // A verified seller is paid out, and told so by email (the real payout.paid).
    const verification = await system.mail.waitFor(sellerAccount.email, /^Verify your email$/);
    const verifyToken = /token=([A-Za-z0-9_-]+)/.exec(verification.text)?.[1];
    expect((await seller.post('/api/users/verify', { token: verifyToken })).status).toBe(200);
    // Payments hears of the verification through user.updated: a moment later.
    const payout = await waitFor(
      async () => {
        const r = await seller.post<{ amount: number; status: string }>('/api/payouts', {});
        return r.status !== 403 && r;
      },
      { message: 'payments to hear the seller is verified' },
    );
    expect(payout.status).toBe(201);
    expect(payout.body).toMatchObject({ amount: 38.25, status: 'paid' });
    await system.mail.waitFor(sellerAccount.email, /^Payout of \$38\.25 sent$/);

    const again = await buyer.post('/api/payments', {
      orderId: ordered.body.id,
      token: 'tok_visa',
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errors: [{ message: 'Order already paid' }] });

    // Well past the 3 s hold: a completed order never expires.
    const other = await listTicket(seller, 'Later show');
    const laterOrder = await order(buyer, other.id);
    await buyer.eventually<Order>(
      `/api/orders/${laterOrder.body.id}`,
      (r) => r.body.status === 'cancelled',
      'the unpaid order to expire',
    );
    expect((await buyer.get<Order>(`/api/orders/${ordered.body.id}`)).body.status).toBe('complete');
    const sold = await buyer.eventually<Ticket>(
      `/api/tickets/${ticket.id}`,
      (r) => r.body.status === 'sold',
      'the ticket sold',
    );
    expect(sold.body.orderId).toBe(ordered.body.id);
  });

  it('when an order is left unpaid, then it expires and the ticket can be ordered again', async () => {
    const seller = new ApiClient(system.baseUrl);
    const first = new ApiClient(system.baseUrl);
    const second = new ApiClient(system.baseUrl);
    await seller.signUp('seller');
    const firstBuyer = await first.signUp('first');
    await second.signUp('second');
    const ticket = await listTicket(seller, 'Expiring show', 10);

    const held = await order(first, ticket.id);
    expect(held.status).toBe(201);
    expect((await second.post('/api/orders', { ticketId: ticket.id })).body).toEqual({
      errors: [{ message: 'Ticket is already reserved' }],
    });

    const expired = await first.eventually<Order>(
      `/api/orders/${held.body.id}`,
      (r) => r.body.status === 'cancelled',
      'the hold to expire',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expired.body.expiresAt));
    await first.eventually<Ticket>(
      `/api/tickets/${ticket.id}`,
      (r) => r.body.orderId === null,
      'the ticket released',
    );

    const late = await first.post('/api/payments', { orderId: held.body.id, token: 'tok_visa' });
    expect(late.status).toBe(400);

    const reordered = await second.post<Order>('/api/orders', { ticketId: ticket.id });
    expect(reordered.status).toBe(201);
    // The expiration worker's expiry, through orders' order.cancelled, reaches the buyer.
    await system.mail.waitFor(firstBuyer.email, /^Your hold has expired: Expiring show$/);
  });
});
