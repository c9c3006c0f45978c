import type { Order } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { IntentLink } from '../../../components/IntentLink';
import { LocalTime } from '../../../components/LocalTime';
import { OrderBadge } from '../../../components/OrderBadge';
import { loadOrRedirect, requireUser } from '../../../lib/gateway';
import { badgeState, orderState } from '../../../lib/order-status';
import { formatPrice } from '../../../lib/price';
import { refundsByOrder } from '../../../lib/refunds';
import styles from '../listing.module.css';

export const metadata: Metadata = { title: 'My orders' };

export default async function OrdersPage() {
  await requireUser('/orders');
  const [orders, refunds] = await Promise.all([
    loadOrRedirect<Order[]>('/api/orders', '/orders'),
    refundsByOrder(),
  ]);
  const now = Date.now();

  return (
    <>
      <div className="page-header">
        <div>
          <h1>My orders</h1>
          <p className="muted">Newest first. Open orders must be paid before they expire.</p>
        </div>
      </div>
      {orders.length === 0 ? (
        <div className="card empty-state">
          <h2>No orders yet</h2>
          <p className="muted">When you reserve a ticket, it shows up here.</p>
          <Link href="/">Browse tickets</Link>
        </div>
      ) : (
        <ul className={styles.list}>
          {orders.map((order) => {
            const state = orderState(order, now);
            // A complete order's sale may have given money back: all of it (the badge says
            // Refunded) or a part (the ticket stays the buyer's; the row says how much).
            const refund = state === 'complete' ? refunds.get(order.id) : undefined;
            return (
              <li key={order.id}>
                <IntentLink href={`/orders/${order.id}`} className={styles.row}>
                  <span className={styles.title}>
                    {order.ticket.title}
                    {state === 'open' && (
                      <span className={styles.detail}>
                        Pay by <LocalTime iso={order.expiresAt} />
                      </span>
                    )}
                    {refund && !refund.whole && (
                      <span className={styles.detail}>
                        {formatPrice(refund.amount)} of your payment was given back to you.
                      </span>
                    )}
                  </span>
                  <span className={`price ${styles.price}`}>{formatPrice(order.ticket.price)}</span>
                  <OrderBadge state={badgeState(state, refund?.whole ?? false)} />
                </IntentLink>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
