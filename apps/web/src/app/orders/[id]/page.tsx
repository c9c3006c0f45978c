import type { Order, Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import { cache } from 'react';
import { OrderPanel } from '../../../components/OrderPanel';
import { webConfig } from '../../../lib/config';
import { gatewayGet, loadOrRedirect } from '../../../lib/gateway';
import { refundsByOrder } from '../../../lib/refunds';

interface OrderProps {
  params: Promise<{ id: string }>;
}

// Metadata and page both need it; one request serves both. An order that is not the
// visitor's (or no order at all) is the not-found page, title included.
const loadOrder = cache(
  (id: string): Promise<Order> =>
    loadOrRedirect<Order>(`/api/orders/${encodeURIComponent(id)}`, `/orders/${id}`),
);

export async function generateMetadata({ params }: OrderProps): Promise<Metadata> {
  const order = await loadOrder((await params).id);
  return { title: `Order for ${order.ticket.title}` };
}

export default async function OrderPage({ params }: OrderProps) {
  const order = await loadOrder((await params).id);
  // Read on the server: the key reaches the browser only as this prop.
  const stripePublishableKey = webConfig().STRIPE_PUBLISHABLE_KEY ?? null;
  // The ticket names its event, and once paid the page links straight to its file: when
  // the seller attached one and the tickets service knows this order bought it.
  const ticket =
    (await gatewayGet<Ticket>(`/api/tickets/${encodeURIComponent(order.ticket.id)}`)).data ?? null;
  const bought =
    order.status === 'complete' && ticket?.status === 'sold' && ticket.orderId === order.id;
  // A completed order's payment may have been refunded since (by an operator, in Stripe):
  // in full, the ticket is then no longer the buyer's, and tickets refuses them its file;
  // in part, the ticket stays theirs and the page says what came back.
  const refund = order.status === 'complete' ? (await refundsByOrder()).get(order.id) : undefined;
  return (
    <OrderPanel
      order={order}
      renderedAt={Date.now()}
      stripePublishableKey={stripePublishableKey}
      ticketFileUrl={bought && ticket.hasFile ? `/api/tickets/${ticket.id}/file` : null}
      event={ticket?.event ?? null}
      refunded={refund?.whole ?? false}
      partlyRefunded={refund && !refund.whole ? refund.amount : 0}
    />
  );
}
