import type { Payment } from '@gittix/api-types';
import { gatewayGet } from './gateway';

/**
 * The visitor's orders whose payment was refunded (by an operator, in Stripe, or a
 * chargeback): such an order stays `complete` in the API, and only its payment says
 * so. Empty when the payments service cannot answer: the pages then show the orders
 * as they stand rather than fail.
 */
export async function refundedOrderIds(): Promise<Set<string>> {
  try {
    const { data } = await gatewayGet<Payment[]>('/api/payments');
    return new Set(
      (data ?? []).filter((payment) => payment.status === 'refunded').map((p) => p.orderId),
    );
  } catch {
    return new Set();
  }
}
