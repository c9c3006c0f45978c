import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEES_ACCOUNT, ledgerSum, sellerBalance } from '../src/ledger.js';
import { feeCents } from '../src/payments.js';
import { createPaymentsFixture, type PaymentsFixture } from './fixtures.js';

describe('the platform fee: round(amount × PLATFORM_FEE_PERCENT / 100) to the cent', () => {
  it('when the exact fee ends in half a cent, then it rounds up, whatever the percent', () => {
    // 1500 × 8.7 % = 130.5 cents; 5500 × 0.7 % = 38.5; 3000 × 1.15 % = 34.5; 1500 × 33.3 % = 499.5.
    expect(feeCents(1500, 8.7)).toBe(131);
    expect(feeCents(5500, 0.7)).toBe(39);
    expect(feeCents(3000, 1.15)).toBe(35);
    expect(feeCents(1500, 33.3)).toBe(500);
    expect(feeCents(11000, 0.35)).toBe(39);
  });

  it('when the fee is checked against exact arithmetic over many amounts and percents, then it always agrees', () => {
    // The percent in ten-thousandths, so the exact fee is a fraction of integers.
    for (const tenThousandths of [70_000, 87_000, 11_500, 3_500, 333_000, 29_000, 125_000]) {
      const percent = tenThousandths / 10_000;
      for (let amount = 1; amount <= 100_000; amount += 7) {
        const scaled = BigInt(amount) * BigInt(tenThousandths); // fee × 1,000,000
        const whole = scaled / 1_000_000n;
        const exact = Number(scaled % 1_000_000n >= 500_000n ? whole + 1n : whole);
        if (feeCents(amount, percent) !== exact) {
          expect({ amount, percent, fee: feeCents(amount, percent) }).toEqual({
            amount,
            percent,
            fee: exact,
          });
        }
      }
    }
    expect(feeCents(100_000_000, 10)).toBe(10_000_000);
    expect(feeCents(2550, 0)).toBe(0);
    expect(feeCents(2550, 100)).toBe(2550);
  });

  describe('with PLATFORM_FEE_PERCENT=8.7', () => {
    let fx: PaymentsFixture;
    beforeAll(async () => {
      fx = await createPaymentsFixture({ env: { PLATFORM_FEE_PERCENT: '8.7' } });
    });
    afterAll(() => fx?.close());

    it('when a $15.00 sale is paid and captured, then its fee is $1.31 and the seller is owed $13.69', async () => {
      const buyer = await fx.buyer();
      const sellerId = randomUUID();
      const order = await fx.createOrder(buyer.id, {
        ticket: { id: randomUUID(), price: 15, userId: sellerId },
      });
      const paid = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
      expect(paid.statusCode).toBe(201);
      expect(paid.json()).toMatchObject({ amount: 15, fee: 1.31 });

      await fx.completeOrder(order, paid.json().id, { userId: sellerId });
      await fx.settle();
      expect(await fx.paymentRow(paid.json().id)).toMatchObject({
        status: 'captured',
        fee_cents: 131,
      });
      expect(await sellerBalance(fx.db, sellerId)).toMatchObject({ availableCents: 1369 });
      const fee = await fx.db
        .selectFrom('ledger_entries')
        .select('amount_cents')
        .where('payment_id', '=', paid.json().id)
        .where('account', '=', FEES_ACCOUNT)
        .executeTakeFirstOrThrow();
      expect(Number(fee.amount_cents)).toBe(131);
      expect(await ledgerSum(fx.db)).toBe(0);
    });
  });
});
