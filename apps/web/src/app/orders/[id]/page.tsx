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
  // Once paid, the page links straight to the ticket's file: when the seller attached
  // one and the tickets service knows the caller bought it (else the download is 403).
  const bought =
    order.status === 'complete'
      ? ((await gatewayGet<Ticket[]>('/api/tickets/purchased')).data ?? [])
      : [];
  const ticket = bought.find((each) => each.id === order.ticket.id);
  return (
    <OrderPanel
      order={order}
      renderedAt={Date.now()}
      stripePublishableKey={stripePublishableKey}
      ticketFileUrl={ticket?.hasFile ? `/api/tickets/${ticket.id}/file` : null}
    />
  );
}
