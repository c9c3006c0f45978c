// @vitest-environment jsdom
import type { CurrentUser, Ticket } from '@gittix/api-types';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import TicketPage from '../src/app/tickets/[id]/page';
import { answer } from './stand-ins';

// A refused purchase is followed by a refresh that shows the ticket as it is now
// (reserved by someone else): the refusal must survive it, announced and focused.

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

// The page reads through the gateway on the server: each test decides what it answers.
const gateway = vi.hoisted(() => ({ user: null as CurrentUser | null, ticket: null as unknown }));
vi.mock('../src/lib/gateway', () => ({
  getCurrentUser: async () => gateway.user,
  loadOrRedirect: async () => gateway.ticket,
  // Orders answers 404 for someone else's order, as the API does.
  gatewayGet: async () => ({ status: 404, data: null, headers: new Headers(), errors: [] }),
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

const onSale: Ticket = {
  id: 't1',
  title: 'Arctic Monkeys, Block B',
  price: 35,
  userId: 'seller-1',
  version: 0,
  orderId: null,
  status: 'available',
  eventId: null,
  event: null,
  hasFile: false,
};

const page = () => TicketPage({ params: Promise.resolve({ id: 't1' }) });

describe('a refused purchase', () => {
  it('when the ticket was reserved meanwhile, then the refusal stays shown and focused after the page refreshes', async () => {
    gateway.user = { id: 'buyer-1', email: 'buyer@example.test', emailVerified: true };
    gateway.ticket = onSale;
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'Ticket is already reserved' }] }));
    const { rerender } = render(await page());

    fireEvent.click(screen.getByRole('button', { name: 'Purchase' }));
    await vi.waitFor(() => expect(router.refresh).toHaveBeenCalled());
    // What the refresh brings: the same page, the ticket now held by another buyer.
    gateway.ticket = { ...onSale, status: 'reserved', orderId: 'o-other', version: 1 };
    rerender(await page());

    expect(screen.getByText(/On hold for another buyer/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Purchase' })).toBeNull();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe('Ticket is already reserved');
    await vi.waitFor(() => expect(document.activeElement).toBe(alert));
  });

  it('when nothing was refused and the ticket is taken, then no empty alert or button shows', async () => {
    gateway.user = { id: 'buyer-1', email: 'buyer@example.test', emailVerified: true };
    gateway.ticket = { ...onSale, status: 'reserved', orderId: 'o-other' };
    render(await page());
    expect(screen.queryByRole('button', { name: 'Purchase' })).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe("the seller's own listing", () => {
  it.each([
    [false, 'No ticket file yet: attach it with Edit, now or after the sale.'],
    [true, 'Your ticket file is attached: the buyer can download it once they pay.'],
  ])(
    'when the file attached is %s, then the page says so while it is for sale',
    async (hasFile, says) => {
      gateway.user = { id: 'seller-1', email: 'seller@example.test', emailVerified: true };
      gateway.ticket = { ...onSale, hasFile };
      render(await page());
      expect(screen.getByRole('link', { name: 'Edit' })).toBeTruthy();
      expect(screen.getByText(says)).toBeTruthy();
    },
  );
});
