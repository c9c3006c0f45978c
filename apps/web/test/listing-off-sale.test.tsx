// @vitest-environment jsdom
import type { CurrentUser, Ticket } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import MyTicketsPage from '../src/app/(listings)/tickets/mine/page';
import EditTicketPage from '../src/app/tickets/[id]/edit/page';
import TicketPage from '../src/app/tickets/[id]/page';

// A seller who withdrew a listing read on its page that "the seller" had taken it off
// sale, and its edit page still offered a form whose Save could only be refused
// ("Cannot edit a withdrawn ticket"). Once its event had started, a listing still read
// `Available` (badge) beside "no longer on sale", with `Edit` offering a file upload
// the API refuses ("The event has started").

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

const seller: CurrentUser = { id: 'u1', email: 'u1@example.test', emailVerified: true };
const gateway = vi.hoisted(() => ({ ticket: null as unknown, user: null as unknown }));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async () => gateway.user,
  getCurrentUser: async () => gateway.user,
  loadOrRedirect: async () => gateway.ticket,
  // The listings page's list; the ticket page's question for the visitor's order: none.
  gatewayGet: async (path: string) =>
    path.startsWith('/api/tickets?')
      ? { status: 200, data: [gateway.ticket], headers: new Headers(), errors: [] }
      : { status: 404, data: null, headers: new Headers(), errors: [] },
  gatewayError: () => new Error('unexpected gateway answer'),
}));

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

function withdrawn(): Ticket {
  return {
    id: 't1',
    title: 'Floor, front',
    price: 35,
    userId: 'u1',
    version: 1,
    orderId: null,
    status: 'withdrawn',
    eventId: null,
    event: null,
    hasFile: false,
  };
}

const params = Promise.resolve({ id: 't1' });

describe('a withdrawn listing', () => {
  it('when its seller opens it, then the page says they withdrew it, not "the seller"', async () => {
    gateway.ticket = withdrawn();
    gateway.user = seller;
    render(await TicketPage({ params }));

    expect(screen.getByText(/You withdrew this listing/)).toBeTruthy();
    expect(screen.queryByText(/The seller has taken/)).toBeNull();
  });

  it('when someone else opens it, then the page says the seller took it off sale', async () => {
    gateway.ticket = withdrawn();
    gateway.user = { id: 'u2', email: 'u2@example.test', emailVerified: true };
    render(await TicketPage({ params }));

    expect(screen.getByText('The seller has taken this ticket off sale.')).toBeTruthy();
  });

  it('when its seller opens its edit page, then no form offers a Save that can only be refused', async () => {
    gateway.ticket = withdrawn();
    gateway.user = seller;
    render(await EditTicketPage({ params }));

    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
    expect(screen.getByText(/You withdrew this listing/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to the ticket' }).getAttribute('href')).toBe(
      '/tickets/t1',
    );
  });
});

/** On sale until its event started a minute ago. */
function started(): Ticket {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  return {
    ...withdrawn(),
    status: 'available',
    eventId: 'e1',
    event: { id: 'e1', name: 'Arctic Monkeys', venue: 'O2', city: 'London', startsAt },
  };
}

describe('a listing whose event has started', () => {
  it('when its seller opens it, then it is not shown as Available and offers neither Edit nor Withdraw', async () => {
    gateway.ticket = started();
    gateway.user = seller;
    render(await TicketPage({ params }));

    expect(
      screen.getByText('The event has started: this ticket is no longer on sale.'),
    ).toBeTruthy();
    expect(screen.queryByText('Available')).toBeNull();
    expect(screen.getByText('Event started')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Edit' })).toBeNull();
    expect(screen.queryByText(/attach it with Edit/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Withdraw' })).toBeNull();
  });

  it('when its seller opens its edit page, then it says why nothing can change instead of a form', async () => {
    gateway.ticket = started();
    gateway.user = seller;
    render(await EditTicketPage({ params }));

    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
    expect(screen.queryByLabelText('Ticket file')).toBeNull();
    expect(screen.getByText(/The event has started/)).toBeTruthy();
  });

  it('when its seller lists their listings, then its badge says the event started, not Available, and offers no Withdraw', async () => {
    gateway.ticket = started();
    gateway.user = seller;
    render(await MyTicketsPage({ searchParams: Promise.resolve({}) }));

    expect(screen.queryByText('Available')).toBeNull();
    expect(screen.getByText('Event started')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Withdraw' })).toBeNull();
  });
});
