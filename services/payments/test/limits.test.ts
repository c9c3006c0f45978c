import { TooManyRequestsError } from '@gittix/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentLimits } from '../src/limits.js';
import type { AuthorizeRequest } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

describe('PaymentLimits', () => {
  it('when a user calls more often than the per-minute limit, then 429 until the minute has passed', async () => {
    let now = 0;
    const limits = new PaymentLimits({
      perMinute: 3,
      maxInFlightPerUser: 5,
      maxInFlight: 10,
      now: () => now,
    });
    for (let i = 0; i < 3; i++) await limits.run('u1', async () => i);
    await expect(limits.run('u1', async () => 'x')).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(limits.run('u2', async () => 'other user')).resolves.toBe('other user');
    now += 60_001;
    await expect(limits.run('u1', async () => 'later')).resolves.toBe('later');
  });

  it('when a user has the most requests in flight, then one more is 429 and a finished one frees its place', async () => {
    const limits = new PaymentLimits({ perMinute: 100, maxInFlightPerUser: 2, maxInFlight: 3 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = [limits.run('u1', () => gate), limits.run('u1', () => gate)];
    await expect(limits.run('u1', async () => 1)).rejects.toThrow(/in progress/);
    const third = limits.run('u2', () => gate);
    await expect(limits.run('u3', async () => 1)).rejects.toThrow(/Too many payments/);
    release();
    await Promise.all([...held, third]);
    await expect(limits.run('u1', async () => 'free again')).resolves.toBe('free again');
  });
});

/** Authorizations that wait until released. */
class SlowProvider extends RecordingProvider {
  release: () => void = () => {};
  private gate = Promise.resolve();
  hold() {
    this.gate = new Promise<void>((resolve) => (this.release = resolve));
  }
  override async authorize(request: AuthorizeRequest) {
    await this.gate;
    return super.authorize(request);
  }
}

describe('POST /api/payments limits', () => {
  let fx: PaymentsFixture;
  const provider = new SlowProvider();

  beforeAll(async () => {
    fx = await createPaymentsFixture({
      provider,
      env: { PAYMENTS_RATE_LIMIT_PER_MINUTE: '12' },
    });
  });
  afterAll(() => fx?.close());

  it('when five attempts on one order were declined, then the sixth is 429 and the provider is not asked', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    for (let i = 0; i < 5; i++) {
      const declined = await fx.pay(buyer.headers, {
        orderId: order.id,
        token: 'tok_chargeDeclined',
      });
      expect(declined.statusCode).toBe(402);
    }
    const asked = provider.charges.length;
    const sixth = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json()).toEqual({
      errors: [
        {
          message:
            'Too many declined attempts for this order (5): cancel it and order the ticket again',
        },
      ],
    });
    expect(provider.charges.length).toBe(asked);
  });

  it('when one user fires many payments in parallel, then the extra ones are 429 and readiness stays up', async () => {
    const buyer = await fx.buyer();
    const orders = await Promise.all(Array.from({ length: 8 }, () => fx.createOrder(buyer.id)));
    provider.hold();
    const responses = Promise.all(
      orders.map((order) => fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })),
    );
    const ready = await fx.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    provider.release();
    const statuses = (await responses).map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(2);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
  });

  it('when a user exceeds the per-minute limit, then 429 in the error shape', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++) {
      statuses.push(
        (await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_bogus' })).statusCode,
      );
    }
    expect(statuses.slice(0, 12).every((s) => s === 400)).toBe(true);
    expect(statuses[12]).toBe(429);
  });
});
