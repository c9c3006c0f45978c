import type { Order } from '@gittix/api-types';

export type OrderState = 'open' | 'complete' | 'expired' | 'cancelled';

/**
 * What an order's badge says: its state, or `refunded` for a complete order whose
 * payment was refunded (the order stays `complete` in the API; the ticket is no
 * longer the buyer's, as My tickets says).
 */
export type OrderBadgeState = OrderState | 'refunded';

export function badgeState(state: OrderState, refunded: boolean): OrderBadgeState {
  return state === 'complete' && refunded ? 'refunded' : state;
}

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

export const STATE_LABEL: Record<OrderBadgeState, string> = {
  open: 'Awaiting payment',
  complete: 'Complete',
  refunded: 'Refunded',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

// `refunded` is the plain, muted badge: nothing to do, nothing wrong with the order.
export const STATE_BADGE: Record<OrderBadgeState, string> = {
  open: 'badge-warning',
  complete: 'badge-success',
  refunded: '',
  expired: 'badge-danger',
  cancelled: 'badge-danger',
};
