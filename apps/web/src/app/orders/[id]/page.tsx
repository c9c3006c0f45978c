import type { Order } from '@gittix/api-types';
import type { Metadata } from 'next';
import { OrderPanel } from '../../../components/OrderPanel';
import { webConfig } from '../../../lib/config';
import { loadOrRedirect } from '../../../lib/gateway';

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
  return (
    <OrderPanel order={order} renderedAt={Date.now()} stripePublishableKey={stripePublishableKey} />
  );
}
