// @vitest-environment jsdom
import type { Order, Payment } from '@gittix/api-types';
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import OrdersPage from '../src/app/(listings)/orders/page';

// My orders said "Open orders must be paid before they expire" without saying when:
// a buyer holding a ticket had to open each order to learn how long was left.

const gateway = vi.hoisted(() => ({
  orders: [] as Order[],
  payments: [] as Array<Pick<Payment, 'orderId' | 'status'>> | null,
}));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async () => ({ id: 'u1', email: 'u1@example.test', emailVerified: true }),
  loadOrRedirect: async () => gateway.orders,
  gatewayGet: async () => {
    if (gateway.payments === null) throw new Error('payments timed out');
    return { status: 200, data: gateway.payments, errors: [] };
  },
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

  // A refunded order stays `complete` in the API: the list showed it green, "Complete".
  it('when a complete order was refunded, then its row says Refunded; the other complete order keeps Complete', async () => {
    gateway.orders = [
      order({
        id: 'o1',
        status: 'complete',
        ticket: { id: 't1', title: 'Refunded one', price: 35 },
      }),
      order({ id: 'o2', status: 'complete', ticket: { id: 't2', title: 'Kept one', price: 35 } }),
    ];
    gateway.payments = [
      { orderId: 'o1', status: 'refunded' },
      { orderId: 'o2', status: 'captured' },
    ];
    render(await OrdersPage());

    const [refunded, kept] = screen.getAllByRole('listitem');
    expect(within(refunded!).getByText('Refunded', { exact: true })).toBeTruthy();
    expect(within(refunded!).queryByText('Complete', { exact: true })).toBeNull();
    expect(within(kept!).getByText('Complete', { exact: true })).toBeTruthy();
  });

  it('when the payments cannot be read, then the orders still show, by their status', async () => {
    gateway.orders = [order({ id: 'o1', status: 'complete' })];
    gateway.payments = null;
    render(await OrdersPage());

    expect(screen.getByText('Complete', { exact: true })).toBeTruthy();
  });
});
