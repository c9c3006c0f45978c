import { type OrderState, STATE_BADGE, STATE_LABEL } from '../lib/order-status';

export function OrderBadge({ state }: { state: OrderState }) {
  return <span className={`badge ${STATE_BADGE[state]}`}>{STATE_LABEL[state]}</span>;
}
