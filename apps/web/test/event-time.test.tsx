// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLine } from '../src/components/EventLine';
import { EventTime } from '../src/components/EventTime';
import { TicketForm } from '../src/components/TicketForm';
import { formatEventTime } from '../src/lib/event-time';

// A New York seller adds an event for Aug 1, 8:00 PM their time ("Your local time"):
// the instant is Aug 2, 00:00 UTC. Everywhere a person reads it, it must read 8:00 PM
// in their zone, while the server's HTML (UTC) hydrates unchanged.
process.env.TZ = 'America/New_York';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const startsAt = '2027-08-02T00:00:00.000Z';

describe('formatEventTime', () => {
  it('when no zone is given, then it writes UTC, as the server renders', () => {
    expect(formatEventTime(startsAt)).toBe('Mon, Aug 2, 2027, 12:00 AM UTC');
  });

  it("when a zone is given, then it writes the time there with the zone's short name", () => {
    expect(formatEventTime(startsAt, 'America/New_York')).toBe('Sun, Aug 1, 2027, 08:00 PM EDT');
    expect(formatEventTime('2027-01-15T19:00:00.000Z', 'Europe/Paris')).toBe(
      'Fri, Jan 15, 2027, 08:00 PM GMT+1',
    );
  });

  it('when the zone is unknown, then it falls back to UTC', () => {
    expect(formatEventTime(startsAt, 'Mars/Olympus_Mons')).toBe('Mon, Aug 2, 2027, 12:00 AM UTC');
  });
});

describe('EventTime', () => {
  it("when the server's HTML hydrates, then it matches (UTC) and then shows the viewer's zone", async () => {
    const html = renderToString(<EventTime iso={startsAt} />);
    expect(html).toContain('Mon, Aug 2, 2027, 12:00 AM UTC');
    expect(html).toContain(`dateTime="${startsAt}"`);

    // A hydration mismatch is a recoverable error: React re-renders the tree from scratch.
    const mismatch = vi.fn();
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    render(<EventTime iso={startsAt} />, {
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
