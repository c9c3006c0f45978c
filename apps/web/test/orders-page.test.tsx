// @vitest-environment jsdom
import type { Order } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import OrdersPage from '../src/app/(listings)/orders/page';

// My orders said "Open orders must be paid before they expire" without saying when:
// a buyer holding a ticket had to open each order to learn how long was left.

const gateway = vi.hoisted(() => ({ orders: [] as Order[] }));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async () => ({ id: 'u1', email: 'u1@example.test', emailVerified: true }),
  loadOrRedirect: async () => gateway.orders,
}));

afterEach(cleanup);

function order(overrides: Partial<Order>): Order {
  return {
    id: 'o1',
    userId: 'u1',
    status: 'created',
    expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    version: 0,
    ticket: { id: 't1', title: 'Floor, front', price: 35 },
    ...overrides,
  };
}

describe('My orders', () => {
  it('when an order is open, then its row says when it must be paid by', async () => {
    const open = order({});
    gateway.orders = [open];
    const { container } = render(await OrdersPage());

    expect(screen.getByText(/Pay by/)).toBeTruthy();
    expect(container.querySelector(`time[datetime="${open.expiresAt}"]`)).not.toBeNull();
  });

  it('when orders are paid, cancelled or expired, then no row asks to pay', async () => {
    gateway.orders = [
      order({ id: 'o1', status: 'complete' }),
      order({ id: 'o2', status: 'cancelled' }),
      order({ id: 'o3', expiresAt: new Date(Date.now() - 60_000).toISOString() }),
    ];
    render(await OrdersPage());

    expect(screen.queryByText(/Pay by/)).toBeNull();
  });
});
