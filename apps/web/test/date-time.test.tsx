// @vitest-environment jsdom
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CurrentUser } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import PayoutsPage from '../src/app/payouts/page';
import { EventLine } from '../src/components/EventLine';
import { LocalTime } from '../src/components/LocalTime';
import { TicketForm } from '../src/components/TicketForm';
import { formatDateTime } from '../src/lib/date-time';

// A New York seller adds an event for Aug 1, 8:00 PM their time ("Your local time"):
// the instant is Aug 2, 00:00 UTC. Everywhere a person reads it, it must read 8:00 PM
// in their zone, while the server's HTML (UTC) hydrates unchanged. Payouts used to read
// "Aug 2, 2027, 12:00 AM UTC" beside events in the viewer's zone: a third way.
process.env.TZ = 'America/New_York';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

const gateway = vi.hoisted(() => ({ answers: {} as Record<string, unknown> }));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async (): Promise<CurrentUser> => ({
    id: 'u1',
    email: 'u1@example.test',
    emailVerified: true,
  }),
  loadOrRedirect: async (path: string) => gateway.answers[path],
}));

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const startsAt = '2027-08-02T00:00:00.000Z';

describe('formatDateTime', () => {
  it('when no zone is given, then it writes UTC, as the server renders', () => {
    expect(formatDateTime(startsAt)).toBe('Mon, Aug 2, 2027, 12:00 AM UTC');
  });

  it("when a zone is given, then it writes the time there with the zone's short name", () => {
    expect(formatDateTime(startsAt, 'America/New_York')).toBe('Sun, Aug 1, 2027, 08:00 PM EDT');
    expect(formatDateTime('2027-01-15T19:00:00.000Z', 'Europe/Paris')).toBe(
      'Fri, Jan 15, 2027, 08:00 PM GMT+1',
    );
  });

  it('when the zone is unknown, then it falls back to UTC', () => {
    expect(formatDateTime(startsAt, 'Mars/Olympus_Mons')).toBe('Mon, Aug 2, 2027, 12:00 AM UTC');
  });
});

describe('LocalTime', () => {
  it("when the server's HTML hydrates, then it matches (UTC) and then shows the viewer's zone", async () => {
    const html = renderToString(<LocalTime iso={startsAt} />);
    expect(html).toContain('Mon, Aug 2, 2027, 12:00 AM UTC');
    expect(html).toContain(`dateTime="${startsAt}"`);

    // A hydration mismatch is a recoverable error: React re-renders the tree from scratch.
    const mismatch = vi.fn();
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    render(<LocalTime iso={startsAt} />, {
      container,
      hydrate: true,
      onRecoverableError: mismatch,
    });

    const time = container.querySelector('time');
    await vi.waitFor(() => expect(time?.textContent).toBe('Sun, Aug 1, 2027, 08:00 PM EDT'));
    expect(time?.getAttribute('datetime')).toBe(startsAt);
    expect(mismatch).not.toHaveBeenCalled();
  });

  it("when a ticket's event line shows in the browser, then its time is the viewer's", () => {
    render(
      <p data-testid="line">
        <EventLine
          event={{ id: 'e1', name: 'Radiohead', venue: 'MSG', city: 'New York', startsAt }}
        />
      </p>,
    );
    expect(screen.getByTestId('line').textContent).toBe(
      'Radiohead · MSG, New York · Sun, Aug 1, 2027, 08:00 PM EDT',
    );
  });
});

describe("the new ticket form's event picker", () => {
  it("when it lists events, then their times are in the viewer's zone", () => {
    const event = {
      id: 'e1',
      name: 'Radiohead',
      venue: 'MSG',
      city: 'New York',
      startsAt,
      createdBy: 'u2',
      availableTickets: 0,
      minPrice: null,
    };
    render(<TicketForm events={[event]} />);
    const picker = screen.getByLabelText('Event') as HTMLSelectElement;
    expect(picker.options[1]?.textContent).toBe(
      'Radiohead, New York — Sun, Aug 1, 2027, 08:00 PM EDT',
    );
  });
});

describe('the payouts page', () => {
  it("when it lists past payouts, then each one's time reads as event times do: the viewer's zone, named", async () => {
    gateway.answers = {
      '/api/payouts/balance': { pending: 0, available: 0, paidOut: 36 },
      '/api/payouts': [{ id: 'p1', amount: 36, status: 'paid', createdAt: startsAt }],
      '/api/payouts/account': { required: false, status: 'none' },
    };
    const { container } = render(await PayoutsPage());

    const time = container.querySelector(`time[datetime="${startsAt}"]`);
    expect(time?.textContent).toBe('Sun, Aug 1, 2027, 08:00 PM EDT');
  });
});

/** Every source file of the web client, as [path relative to src, text]. */
function sources(dir = join(__dirname, '../src')): [string, string][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    if (!/\.tsx?$/.test(entry.name)) return [];
    return [[relative(join(__dirname, '../src'), path), readFileSync(path, 'utf8')]];
  });
}

describe('dates across the web client', () => {
  it('when any page writes a date or time, then it goes through formatDateTime, never a formatter of its own', () => {
    // Intl.DateTimeFormat() with no options is only the viewer's zone being read.
    const ownFormatting =
      /toLocale(Date|Time)?String|toUTCString|toDateString|Intl\.DateTimeFormat\((?!\))|from '(date-fns|dayjs|moment|luxon)/;
    const offenders = sources()
      .filter(([path, text]) => path !== join('lib', 'date-time.ts') && ownFormatting.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });
});
