// @vitest-environment jsdom
import type { Order } from '@gittix/api-types';
import { notFound } from 'next/navigation';
import { describe, expect, it, vi } from 'vitest';
import { generateMetadata } from '../src/app/orders/[id]/page';

// The tab names the order's ticket; an order that is not the visitor's (or a malformed
// id) is the not-found page, whose own title ("Not found") Next.js then uses.

const order: Order = {
  id: 'order-1',
  userId: 'buyer-1',
  status: 'created',
  expiresAt: '2031-01-01T12:15:00.000Z',
  version: 0,
  ticket: { id: 'ticket-1', title: 'Arctic Monkeys, Block B', price: 35 },
};

// Orders answers the owner with the order and anyone else 404: the page's loader turns that into notFound().
vi.mock('../src/lib/gateway', () => ({
  loadOrRedirect: async (path: string) => (path === `/api/orders/${order.id}` ? order : notFound()),
  gatewayGet: async () => ({ status: 404, data: null, headers: new Headers(), errors: [] }),
}));

const metadataFor = (id: string) => generateMetadata({ params: Promise.resolve({ id }) });

describe('the order page title', () => {
  it("when the order is the visitor's, then the title names its ticket", async () => {
    expect(await metadataFor('order-1')).toEqual({ title: 'Order for Arctic Monkeys, Block B' });
  });

  it("when the order is someone else's or the id is malformed, then the metadata is the not-found page's", async () => {
    for (const id of ['order-2', 'not-a-uuid']) {
      await expect(metadataFor(id)).rejects.toMatchObject({
        digest: expect.stringMatching(/^NEXT_HTTP_ERROR_FALLBACK;404/),
      });
    }
  });
});
