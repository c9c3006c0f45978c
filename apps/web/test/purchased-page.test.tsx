// @vitest-environment jsdom
import type { CurrentUser, PurchasedTicket } from '@gittix/api-types';
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import PurchasedTicketsPage from '../src/app/(listings)/tickets/purchased/page';

// A purchase whose payment was refunded stays listed (the ticket is still sold to that
// order) but is no longer the buyer's: the API refuses its file, so the page offers none.

const gateway = vi.hoisted(() => ({ list: [] as unknown[] }));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async (): Promise<CurrentUser> => ({
    id: 'buyer-1',
    email: 'buyer@example.test',
    emailVerified: true,
  }),
  gatewayGet: async () => ({ status: 200, data: gateway.list, headers: new Headers(), errors: [] }),
  gatewayError: () => new Error('unexpected gateway answer'),
}));

afterEach(cleanup);

function purchase(overrides: Partial<PurchasedTicket>): PurchasedTicket {
  return {
    id: 't1',
    title: 'Arctic Monkeys, Block B',
    price: 35,
    userId: 'seller-1',
    version: 1,
    orderId: 'o1',
    status: 'sold',
    eventId: null,
    event: null,
    hasFile: true,
    refundedAt: null,
    ...overrides,
  };
}

describe('My tickets, with a refunded purchase', () => {
  it('when a purchase was refunded, then it shows "Refunded" and no "Download ticket"; the others keep theirs', async () => {
    gateway.list = [
      purchase({ id: 't1', title: 'Floor, front', refundedAt: '2031-01-02T10:00:00.000Z' }),
      purchase({ id: 't2', title: 'Balcony, row A', orderId: 'o2' }),
    ];
    render(await PurchasedTicketsPage());

    const [refunded, kept] = screen.getAllByRole('listitem');
    expect(within(refunded!).getByText('Refunded')).toBeTruthy();
    expect(within(refunded!).getByText(/Your payment was refunded/)).toBeTruthy();
    expect(within(refunded!).queryByRole('link', { name: 'Download ticket' })).toBeNull();
    expect(within(kept!).queryByText('Refunded')).toBeNull();
    const link = screen.getByRole('link', {
      name: 'Download ticket',
      description: 'Balcony, row A',
    });
    expect(link.getAttribute('href')).toBe('/api/tickets/t2/file');
    expect(screen.getAllByRole('link', { name: 'Download ticket' })).toHaveLength(1);
  });

  it('when a refunded purchase never got its file, then it says "Refunded", not that the file is awaited', async () => {
    gateway.list = [purchase({ hasFile: false, refundedAt: '2031-01-02T10:00:00.000Z' })];
    render(await PurchasedTicketsPage());

    expect(screen.getByText('Refunded')).toBeTruthy();
    expect(screen.queryByText("Awaiting the seller's file")).toBeNull();
  });
});
