import { describe, expect, it } from 'vitest';
import {
  everyProviderChargeHasPayment,
  ledgerSumsToZero,
  type MoneySnapshot,
  noCaptureForCancelledOrder,
  sellerBalancesMatchSales,
} from '../chaos/money-invariants.js';

const at = new Date('2030-01-01T00:00:00Z');
const order = (id: string, status: string) => ({
  id,
  ticket_id: `t-${id}`,
  status,
  payment_id: `p-${id}`,
  expires_at: at,
  version: 1,
});
const payment = (orderId: string, status: string, amount = 1000, fee = 100) => ({
  id: `p-${orderId}`,
  order_id: orderId,
  status,
  amount_cents: amount,
  fee_cents: status === 'captured' || status === 'refunded' ? fee : 0,
  provider_id: status === 'pending' ? null : `pi-${orderId}`,
  refunded_at: status === 'refunded' ? at : null,
});
const sale = (orderId: string, seller: string, amount = 1000, fee = 100) => [
  {
    posting_id: `sale-${orderId}`,
    account: 'provider',
    amount_cents: -amount,
    kind: 'charge',
    payment_id: `p-${orderId}`,
  },
  {
    posting_id: `sale-${orderId}`,
    account: 'platform:fees',
    amount_cents: fee,
    kind: 'fee',
    payment_id: `p-${orderId}`,
  },
  {
    posting_id: `sale-${orderId}`,
    account: `seller:${seller}`,
    amount_cents: amount - fee,
    kind: 'proceeds',
    payment_id: `p-${orderId}`,
  },
];

/** A consistent little world: o1 sold by s1 and paid out, o2 sold by s2, o3 cancelled and voided. */
function world(): MoneySnapshot {
  return {
    orders: [order('o1', 'complete'), order('o2', 'complete'), order('o3', 'cancelled')],
    payments: [
      payment('o1', 'captured'),
      payment('o2', 'captured', 2550, 255),
      payment('o3', 'voided'),
    ],
    paymentsOrderReplica: [
      { id: 'o1', status: 'complete', version: 1, seller_id: 's1' },
      { id: 'o2', status: 'complete', version: 1, seller_id: 's2' },
      { id: 'o3', status: 'cancelled', version: 1, seller_id: 's1' },
    ],
    ledger: [
      ...sale('o1', 's1'),
      ...sale('o2', 's2', 2550, 255),
      {
        posting_id: 'payout-1',
        account: 'seller:s1',
        amount_cents: -900,
        kind: 'payout',
        payment_id: null,
      },
      {
        posting_id: 'payout-1',
        account: 'provider',
        amount_cents: 900,
        kind: 'payout',
        payment_id: null,
      },
    ],
    payouts: [{ id: 'po1', user_id: 's1', amount_cents: 900 }],
    providerCharges: [
      { provider_id: 'pi-o1', payment_id: 'p-o1', amount_cents: 1000, status: 'captured' },
      { provider_id: 'pi-o2', payment_id: 'p-o2', amount_cents: 2550, status: 'captured' },
      { provider_id: 'pi-o3', payment_id: 'p-o3', amount_cents: 1000, status: 'voided' },
    ],
  };
}

describe('the chaos money invariants', () => {
  it('when everything is consistent, then all four hold', () => {
    const s = world();
    for (const check of [
      noCaptureForCancelledOrder,
      everyProviderChargeHasPayment,
      ledgerSumsToZero,
      sellerBalancesMatchSales,
    ]) {
      expect(check(s), check.name).toMatchObject({ pass: true, violationCount: 0 });
    }
  });

  it('when a cancelled order was captured (or refunded), then "no captured payment for a cancelled order" fails naming it', () => {
    const s = world();
    s.payments[2] = payment('o3', 'refunded');
    const result = noCaptureForCancelledOrder(s);
    expect(result.pass).toBe(false);
    expect(result.violations).toEqual(['cancelled order o3: payment p-o3 was refunded']);
  });

  it('when the provider holds money no Payment row knows, or a row stayed pending, then "every provider charge has a Payment row" fails', () => {
    const s = world();
    s.providerCharges!.push({
      provider_id: 'pi-lost',
      payment_id: 'p-lost',
      amount_cents: 500,
      status: 'captured',
    });
    s.payments.push(payment('o9', 'pending'));
    const result = everyProviderChargeHasPayment(s);
    expect(result.pass).toBe(false);
    expect(result.violations).toEqual([
      'payment p-o9 still pending',
      'provider captured pi-lost (500 ¢) has no Payment row',
    ]);
  });

  it('when the provider and the row disagree on the state, then it fails too', () => {
    const s = world();
    s.providerCharges![2]!.status = 'captured';
    expect(everyProviderChargeHasPayment(s).violations).toEqual([
      'provider says captured for pi-o3, payment p-o3 is voided',
    ]);
  });

  it('when the provider cannot be read (Stripe), then only pending rows are checked', () => {
    const s = { ...world(), providerCharges: null };
    expect(everyProviderChargeHasPayment(s)).toMatchObject({ pass: true });
  });

  it('when a posting is unbalanced, then "the ledger sums to zero" fails naming it and the total', () => {
    const s = world();
    s.ledger.push({
      posting_id: 'bad',
      account: 'platform:fees',
      amount_cents: 7,
      kind: 'fee',
      payment_id: null,
    });
    const result = ledgerSumsToZero(s);
    expect(result.pass).toBe(false);
    expect(result.violations).toEqual(['the ledger sums to 7 ¢', 'posting bad sums to 7 ¢']);
  });

  it("when a seller's ledger balance drifts from sales − fees − payouts, then the balance invariant fails", () => {
    const s = world();
    s.payouts.push({ id: 'po2', user_id: 's2', amount_cents: 100 });
    const result = sellerBalancesMatchSales(s);
    expect(result.pass).toBe(false);
    expect(result.violations).toEqual(['seller s2: ledger 2295 ¢, sales − fees − payouts 2195 ¢']);
  });
});
