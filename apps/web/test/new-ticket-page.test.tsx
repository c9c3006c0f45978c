// @vitest-environment jsdom
import type { CatalogueEvent } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import NewTicketPage from '../src/app/tickets/new/page';

// "Sell a ticket for this event" followed from a page left open until the event began
// gave the new-ticket form with `No event` chosen and not a word why: the seller could
// list the ticket with no event without noticing.

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));
vi.mock('../src/lib/config', () => ({ webConfig: () => ({ PLATFORM_FEE_PERCENT: 10 }) }));

const EVENT_ID = '0b7c6a52-2f47-4a4e-9a53-3c1f0f7b1d2e';
const gateway = vi.hoisted(() => ({ upcoming: [] as unknown[], one: null as unknown }));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async () => ({ id: 'u1', email: 'u1@example.test', emailVerified: true }),
  gatewayGet: async (path: string) =>
    path.startsWith('/api/events?')
      ? { status: 200, data: gateway.upcoming, headers: new Headers(), errors: [] }
      : gateway.one
        ? { status: 200, data: gateway.one, headers: new Headers(), errors: [] }
        : { status: 404, data: null, headers: new Headers(), errors: [] },
}));

afterEach(cleanup);

function event(startsAt: string): CatalogueEvent {
  return {
    id: EVENT_ID,
    name: 'Arctic Monkeys',
    venue: 'O2',
    city: 'London',
    startsAt,
    createdBy: 'u2',
    availableTickets: 0,
    minPrice: null,
  };
}

const asked = (eventId: string) => ({ searchParams: Promise.resolve({ eventId }) });

describe('/tickets/new?eventId=…', () => {
  it('when the event is upcoming, then it is chosen and nothing is said', async () => {
    const upcoming = event(new Date(Date.now() + 86_400_000).toISOString());
    gateway.upcoming = [upcoming];
    gateway.one = upcoming;
    render(await NewTicketPage(asked(EVENT_ID)));

    expect((screen.getByLabelText('Event') as HTMLSelectElement).value).toBe(EVENT_ID);
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('when the event has started, then the page says so instead of quietly choosing no event', async () => {
    gateway.upcoming = [];
    gateway.one = event(new Date(Date.now() - 60_000).toISOString());
    render(await NewTicketPage(asked(EVENT_ID)));

    expect(
      screen.getByText('Arctic Monkeys has started: tickets for it can no longer be listed.'),
    ).toBeTruthy();
    expect((screen.getByLabelText('Event') as HTMLSelectElement).value).toBe('');
  });

  it('when the event is unknown, then the page says so', async () => {
    gateway.upcoming = [];
    gateway.one = null;
    render(await NewTicketPage(asked(EVENT_ID)));

    expect(screen.getByText(/That event was not found/)).toBeTruthy();
  });
});
