// @vitest-environment jsdom
import type { CatalogueEvent, CurrentUser } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Home from '../src/app/(listings)/page';
import MyTicketsPage from '../src/app/(listings)/tickets/mine/page';
import EventPage from '../src/app/events/[id]/page';
import EventsPage from '../src/app/events/page';
import { listFiltersFrom } from '../src/lib/list-filters';

// A listing page's URL is the visitor's to type, bookmark and share: what the API
// refuses in it (a cursor from an old link, a search over 120 characters, a NUL) is
// the visitor's mistake, said on the page, not "Something went wrong".

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router, usePathname: () => '/' }));

const gateway = vi.hoisted(() => ({
  paths: [] as string[],
  answer: { status: 400, data: null as unknown, errors: [] as { message: string }[] },
}));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async (): Promise<CurrentUser> => ({
    id: 'u1',
    email: 'u1@example.test',
    emailVerified: true,
  }),
  getCurrentUser: async () => null,
  loadOrRedirect: async (): Promise<CatalogueEvent> => ({
    id: 'e1',
    name: 'Radiohead',
    venue: 'Bercy',
    city: 'Paris',
    startsAt: '2031-06-12T19:00:00.000Z',
    createdBy: 'u2',
    availableTickets: 3,
    minPrice: 40,
  }),
  gatewayGet: async (path: string) => {
    gateway.paths.push(path);
    return { ...gateway.answer, headers: new Headers() };
  },
  gatewayError: () => new Error('Something went wrong'),
}));

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
  gateway.paths = [];
});

const staleCursor = {
  status: 400,
  data: null,
  errors: [{ message: 'Cursor is not one this service gave out', field: 'cursor' }],
};

describe('a listing page whose URL the API refuses', () => {
  it.each([
    ['the front page', '/', () => Home({ searchParams: Promise.resolve({ cursor: 'zz' }) })],
    [
      'the events page',
      '/events',
      () => EventsPage({ searchParams: Promise.resolve({ cursor: 'zz' }) }),
    ],
    [
      "an event's page",
      '/events/e1',
      () =>
        EventPage({
          params: Promise.resolve({ id: 'e1' }),
          searchParams: Promise.resolve({ cursor: 'zz' }),
        }),
    ],
    [
      'my listings',
      '/tickets/mine',
      () => MyTicketsPage({ searchParams: Promise.resolve({ cursor: 'zz' }) }),
    ],
  ])(
    'when %s is opened with a cursor from an old link, then it says why and links back to its first page',
    async (_page, firstPage, page) => {
      gateway.answer = staleCursor;
      render(await page());

      const alert = screen.getByRole('alert');
      expect(alert.textContent).toContain('Cursor is not one this service gave out');
      const back = screen
        .getAllByRole('link')
        .find((link) => link.getAttribute('href') === firstPage);
      expect(back).toBeTruthy();
    },
  );

  it('when the search is longer than the API takes, then the front page says so', async () => {
    gateway.answer = {
      status: 400,
      data: null,
      errors: [{ message: 'q must be at most 120 characters' }],
    };
    render(await Home({ searchParams: Promise.resolve({ q: 'a'.repeat(300) }) }));
    expect(screen.getByRole('alert').textContent).toContain('q must be at most 120 characters');
  });

  it('when the service fails (a 503), then the error page still shows it', async () => {
    gateway.answer = {
      status: 503,
      data: null,
      errors: [{ message: 'Tickets service unavailable' }],
    };
    await expect(Home({ searchParams: Promise.resolve({}) })).rejects.toThrow();
  });
});

describe('the sort in a listing URL', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'when it is %s (a name every object has), then the page default is used',
    (sort) => {
      expect(listFiltersFrom({ sort }, 'newest').sort).toBe('newest');
    },
  );

  it('when the front page is asked to sort by "toString", then the API is asked for its default order', async () => {
    gateway.answer = { status: 200, data: [], errors: [] };
    render(await Home({ searchParams: Promise.resolve({ sort: 'toString' }) }));
    expect(gateway.paths.at(-1)).not.toContain('toString');
  });
});
