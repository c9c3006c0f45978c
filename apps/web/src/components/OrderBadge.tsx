import { type OrderBadgeState, STATE_BADGE, STATE_LABEL } from '../lib/order-status';

export function OrderBadge({ state }: { state: OrderBadgeState }) {
  const modifier = STATE_BADGE[state];
  return <span className={modifier ? `badge ${modifier}` : 'badge'}>{STATE_LABEL[state]}</span>;
}
