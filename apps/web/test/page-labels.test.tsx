// @vitest-environment jsdom
import type { CatalogueEvent, CurrentUser, Ticket } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import MyTicketsPage from '../src/app/(listings)/tickets/mine/page';
import PurchasedTicketsPage from '../src/app/(listings)/tickets/purchased/page';
import SignUpPage from '../src/app/auth/signup/page';
import EventPage from '../src/app/events/[id]/page';

// Black-box tests find elements by the exact names API.md gives them ("Withdraw",
// "Download ticket"); which item a button belongs to is its description instead.

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

// The pages read through the gateway on the server: each test decides what it answers.
const gateway = vi.hoisted(() => ({ list: [] as unknown[], event: null as unknown }));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async (): Promise<CurrentUser> => ({
    id: 'u1',
    email: 'u1@example.test',
    emailVerified: true,
  }),
  // A visitor: the sign-up page shows its form.
  getCurrentUser: async () => null,
  loadOrRedirect: async () => gateway.event,
  gatewayGet: async () => ({ status: 200, data: gateway.list, headers: new Headers(), errors: [] }),
  gatewayError: () => new Error('unexpected gateway answer'),
}));

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

function ticket(overrides: Partial<Ticket>): Ticket {
  return {
    id: 't1',
    title: 'Arctic Monkeys, Block B',
    price: 35,
    userId: 'u1',
    version: 0,
    orderId: null,
    status: 'available',
    eventId: null,
    event: null,
    hasFile: false,
    ...overrides,
  };
}

const noQuery = Promise.resolve({});

describe('My listings', () => {
  it('when a listing is on sale, then its button is named exactly "Withdraw" and described by its title', async () => {
    gateway.list = [
      ticket({ id: 't1', title: 'Floor, front' }),
      ticket({ id: 't2', title: 'Balcony, row A', status: 'sold', orderId: 'o1' }),
    ];
    render(await MyTicketsPage({ searchParams: noQuery }));

    const withdraw = screen.getAllByRole('button', { name: 'Withdraw' });
    expect(withdraw).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Withdraw', description: 'Floor, front' })).toBe(
      withdraw[0],
    );
  });
});

describe('My tickets', () => {
  it('when a bought ticket has its file, then its link is named exactly "Download ticket" and described by its title', async () => {
    gateway.list = [
      ticket({ id: 't1', title: 'Floor, front', status: 'sold', orderId: 'o1', hasFile: true }),
      ticket({ id: 't2', title: 'Balcony, row A', status: 'sold', orderId: 'o2' }),
    ];
    render(await PurchasedTicketsPage());

    const link = screen.getByRole('link', { name: 'Download ticket', description: 'Floor, front' });
    expect(link.getAttribute('href')).toBe('/api/tickets/t1/file');
    expect(screen.getAllByRole('link', { name: 'Download ticket' })).toHaveLength(1);
  });
});

describe('an event page', () => {
  const event: CatalogueEvent = {
    id: 'e1',
    name: 'Radiohead',
    venue: 'Bercy',
    city: 'Paris',
    startsAt: '2031-06-12T19:00:00.000Z',
    createdBy: 'u2',
    availableTickets: 0,
    minPrice: null,
  };

  async function renderEvent(query: Record<string, string>) {
    gateway.event = event;
    gateway.list = [];
    render(
      await EventPage({
        params: Promise.resolve({ id: 'e1' }),
        searchParams: Promise.resolve(query),
      }),
    );
  }

  it('when nobody sells a ticket yet, then it says so once and nothing about matching', async () => {
    await renderEvent({});
    expect(screen.getAllByText('No tickets for sale yet')).toHaveLength(1);
    expect(screen.queryByText('No tickets match')).toBeNull();
  });

  it('when a price filter leaves no ticket, then it says none match', async () => {
    await renderEvent({ maxPrice: '10' });
    expect(screen.getByRole('heading', { name: 'No tickets match' })).toBeTruthy();
  });
});

describe('the sign-up page', () => {
  it('when someone has an account already, then it offers to "Sign in", as the site says everywhere', async () => {
    render(await SignUpPage({ searchParams: Promise.resolve({}) }));
    expect(screen.getByRole('link', { name: 'Sign in instead' }).getAttribute('href')).toBe(
      '/auth/signin',
    );
    expect(screen.queryByText(/Log in/)).toBeNull();
  });
});
