import type { InvariantResult } from './invariants.js';
import type { Snapshot } from './snapshot.js';

/** The money invariants of payments (docs/payments.md), judged on a snapshot of the stores. */
export type MoneySnapshot = Pick<
  Snapshot,
  'orders' | 'payments' | 'paymentsOrderReplica' | 'ledger' | 'payouts' | 'providerCharges'
>;

const SHOWN = 8;

function result(name: string, summary: string, violations: string[]): InvariantResult {
  return {
    name,
    pass: violations.length === 0,
    summary,
    violations: violations.slice(0, SHOWN),
    violationCount: violations.length,
  };
}

/**
 * No buyer was charged for a cancelled order: its payment, if any, was voided
 * (never captured, so never refunded). Counts the refunds cancel-vs-pay races
 * caused: zero is the point of authorizing first.
 */
export function noCaptureForCancelledOrder(s: MoneySnapshot): InvariantResult {
  const payments = new Map(s.payments.map((p) => [p.order_id, p]));
  const violations: string[] = [];
  let cancelledWithPayment = 0;
  for (const order of s.orders) {
    if (order.status !== 'cancelled') continue;
    const payment = payments.get(order.id);
    if (!payment) continue;
    cancelledWithPayment++;
    if (payment.status === 'captured' || payment.status === 'refunded') {
      violations.push(`cancelled order ${order.id}: payment ${payment.id} was ${payment.status}`);
    }
  }
  return result(
    'No captured payment for a cancelled order (0 refunds from cancel-vs-pay races)',
    `${cancelledWithPayment} cancelled orders had a payment attempt, ${violations.length} charged; ${s.payments.filter((p) => p.status === 'refunded').length} refunds in all`,
    violations,
  );
}

/**
 * Every authorization the provider holds has a Payment row with its provider id,
 * in the same state (captured ↔ captured, voided ↔ voided), and no row was left
 * pending. Without a readable provider (Stripe) only the last part is checked.
 */
export function everyProviderChargeHasPayment(s: MoneySnapshot): InvariantResult {
  const violations: string[] = [];
  for (const payment of s.payments) {
    if (payment.status === 'pending') violations.push(`payment ${payment.id} still pending`);
  }
  if (s.providerCharges === null) {
    return result(
      'Every provider charge has a Payment row',
      `provider not readable; ${s.payments.length} payments, none may stay pending`,
      violations,
    );
  }
  const byProviderId = new Map(
    s.payments.filter((p) => p.provider_id).map((p) => [p.provider_id!, p]),
  );
  for (const charge of s.providerCharges) {
    const payment = byProviderId.get(charge.provider_id);
    if (!payment) {
      violations.push(
        `provider ${charge.status} ${charge.provider_id} (${charge.amount_cents} ¢) has no Payment row`,
      );
    } else if (charge.status !== 'authorized' && charge.status !== payment.status) {
      violations.push(
        `provider says ${charge.status} for ${charge.provider_id}, payment ${payment.id} is ${payment.status}`,
      );
    } else if (charge.status === 'authorized' && payment.status !== 'authorized') {
      violations.push(`provider still holds ${charge.provider_id}, payment is ${payment.status}`);
    }
  }
  const captured = s.providerCharges.filter((c) => c.status === 'captured').length;
  return result(
    'Every provider charge has a Payment row (in the same state)',
    `${s.providerCharges.length} authorizations at the provider, ${captured} captured`,
    violations,
  );
}

/** The double-entry ledger balances: every posting, and so the whole, sums to zero. */
export function ledgerSumsToZero(s: MoneySnapshot): InvariantResult {
  const postings = new Map<string, number>();
  let total = 0;
  for (const line of s.ledger) {
    postings.set(line.posting_id, (postings.get(line.posting_id) ?? 0) + line.amount_cents);
    total += line.amount_cents;
  }
  const violations = [...postings]
    .filter(([, sum]) => sum !== 0)
    .map(([id, sum]) => `posting ${id} sums to ${sum} ¢`);
  if (total !== 0) violations.unshift(`the ledger sums to ${total} ¢`);
  return result(
    'The ledger sums to zero',
    `${s.ledger.length} lines in ${postings.size} postings`,
    violations,
  );
}

/**
 * Every seller's balance in the ledger equals their captured sales minus fees
 * minus payouts (a refunded sale counts for nothing), computed from the payments
 * and payouts tables rather than from the ledger itself.
 */
export function sellerBalancesMatchSales(s: MoneySnapshot): InvariantResult {
  const sellerOf = new Map(s.paymentsOrderReplica.map((o) => [o.id, o.seller_id]));
  const expected = new Map<string, number>();
  const add = (seller: string, cents: number) =>
    expected.set(seller, (expected.get(seller) ?? 0) + cents);
  for (const payment of s.payments) {
    if (payment.status !== 'captured') continue;
    const seller = sellerOf.get(payment.order_id);
    add(seller ?? 'unknown', payment.amount_cents - payment.fee_cents);
  }
  for (const payout of s.payouts) add(payout.user_id, -payout.amount_cents);
  const actual = new Map<string, number>();
  for (const line of s.ledger) {
    if (!line.account.startsWith('seller:')) continue;
    const seller = line.account.slice('seller:'.length);
    actual.set(seller, (actual.get(seller) ?? 0) + line.amount_cents);
  }
  const violations: string[] = [];
  for (const seller of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(seller) ?? 0;
    const have = actual.get(seller) ?? 0;
    if (want !== have) {
      violations.push(`seller ${seller}: ledger ${have} ¢, sales − fees − payouts ${want} ¢`);
    }
  }
  return result(
    "Every seller's balance = captured sales − fees − payouts",
    `${expected.size} sellers, ${s.payouts.length} payouts`,
    violations,
  );
}

export function moneyInvariants(s: MoneySnapshot): InvariantResult[] {
  return [
    noCaptureForCancelledOrder(s),
    everyProviderChargeHasPayment(s),
    ledgerSumsToZero(s),
    sellerBalancesMatchSales(s),
  ];
}
