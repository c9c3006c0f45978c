import type { Order } from '@gittix/api-types';

export type OrderState = 'open' | 'complete' | 'expired' | 'cancelled';

/**
 * What a buyer should understand from an order: `created` and `awaiting:payment`
 * are open until `expiresAt`; past it the order is expired on screen even before
 * the expiration service has cancelled it.
 */
export function orderState(order: Pick<Order, 'status' | 'expiresAt'>, now: number): OrderState {
  if (order.status === 'complete') return 'complete';
  const pastExpiry = Date.parse(order.expiresAt) <= now;
  if (order.status === 'cancelled') return pastExpiry ? 'expired' : 'cancelled';
  return pastExpiry ? 'expired' : 'open';
}

export const STATE_LABEL: Record<OrderState, string> = {
  open: 'Awaiting payment',
  complete: 'Complete',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

export const STATE_BADGE: Record<OrderState, string> = {
  open: 'badge-warning',
  complete: 'badge-success',
  expired: 'badge-danger',
  cancelled: 'badge-danger',
};
