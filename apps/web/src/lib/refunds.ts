import type { Payment } from '@gittix/api-types';
import { gatewayGet } from './gateway';

/** What came back of an order's sale: all of it, or `amount` dollars while it stands. */
export interface RefundOf {
  /** Refunded in full (by an operator, in Stripe, or a chargeback): the ticket is no longer the buyer's. */
  whole: boolean;
  /** Dollars given back; with `whole` false, a part (the buyer keeps the ticket). */
  amount: number;
}

/**
 * The visitor's orders whose sale gave money back, in full or in part: such an order
 * stays `complete` in the API, and only its payment says so. Empty when the payments
 * service cannot answer: the pages then show the orders as they stand rather than fail.
 */
export async function refundsByOrder(): Promise<Map<string, RefundOf>> {
  try {
    const { data } = await gatewayGet<Payment[]>('/api/payments');
    const refunds = new Map<string, RefundOf>();
    for (const payment of data ?? []) {
      // An order's declined or voided attempts gave nothing back; only its sale can.
      if (payment.status !== 'refunded' && !(payment.status === 'captured' && payment.refunded > 0))
        continue;
      refunds.set(payment.orderId, {
        whole: payment.status === 'refunded',
        amount: payment.refunded,
      });
    }
    return refunds;
  } catch {
    return new Map();
  }
}
