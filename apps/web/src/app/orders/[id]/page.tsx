import type { Order, Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import { OrderPanel } from '../../../components/OrderPanel';
import { webConfig } from '../../../lib/config';
import { gatewayGet, loadOrRedirect } from '../../../lib/gateway';

export const metadata: Metadata = { title: 'Your order' };

interface OrderProps {
  params: Promise<{ id: string }>;
}

export default async function OrderPage({ params }: OrderProps) {
  const { id } = await params;
  const order = await loadOrRedirect<Order>(
    `/api/orders/${encodeURIComponent(id)}`,
    `/orders/${id}`,
  );
  // Read on the server: the key reaches the browser only as this prop.
  const stripePublishableKey = webConfig().STRIPE_PUBLISHABLE_KEY ?? null;
  // The ticket names its event, and once paid the page links straight to its file: when
  // the seller attached one and the tickets service knows this order bought it.
  const ticket =
    (await gatewayGet<Ticket>(`/api/tickets/${encodeURIComponent(order.ticket.id)}`)).data ?? null;
  const bought =
    order.status === 'complete' && ticket?.status === 'sold' && ticket.orderId === order.id;
  return (
    <OrderPanel
      order={order}
      renderedAt={Date.now()}
      stripePublishableKey={stripePublishableKey}
      ticketFileUrl={bought && ticket.hasFile ? `/api/tickets/${ticket.id}/file` : null}
      event={ticket?.event ?? null}
    />
  );
}
