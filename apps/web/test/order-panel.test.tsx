// @vitest-environment jsdom

import type { Order } from '@gittix/api-types';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrderPanel } from '../src/components/OrderPanel';
import { answer } from './stand-ins';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

// Event times show in the browser's zone (LocalTime): this browser's is UTC.
process.env.TZ = 'UTC';

const START = Date.parse('2030-01-01T12:00:00.000Z');

function orderExpiringIn(seconds: number): Order {
  return {
    id: 'order-1',
    userId: 'buyer-1',
    status: 'created',
    expiresAt: new Date(START + seconds * 1000).toISOString(),
    version: 0,
    ticket: { id: 'ticket-1', title: 'Arctic Monkeys', price: 35.5 },
  };
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

describe('the countdown', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });

  it('when time passes, then the clock ticks down and, at zero, the order shows as expired', () => {
    render(
      <OrderPanel order={orderExpiringIn(3)} renderedAt={START} stripePublishableKey={null} />,
    );
    expect(screen.getByRole('timer').textContent).toBe('00:03');
    expect(screen.getByRole('button', { name: 'Pay' })).toBeTruthy();

    act(() => vi.advanceTimersByTime(1_000));
    expect(screen.getByRole('timer').textContent).toBe('00:02');

    act(() => vi.advanceTimersByTime(2_000));
    expect(screen.queryByRole('timer')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Pay' })).toBeNull();
    expect(screen.getByText('Time ran out.')).toBeTruthy();
    expect(screen.getByText('Expired')).toBeTruthy();
  });

  it('when the server rendered a few seconds ago, then the first render still matches it', () => {
    vi.setSystemTime(START + 2_000);
    const { container } = render(
      <OrderPanel order={orderExpiringIn(60)} renderedAt={START} stripePublishableKey={null} />,
    );
    // After the effect, the browser clock takes over.
    expect(container.querySelector('[role="timer"]')?.textContent).toBe('00:58');
  });
});

describe('the order heading', () => {
  it('when the ticket is for an event, then the order names the show, its place and time', () => {
    render(
      <OrderPanel
        order={orderExpiringIn(600)}
        renderedAt={Date.now()}
        stripePublishableKey={null}
        event={{
          id: 'event-1',
          name: 'Arctic Monkeys live',
          venue: 'Wembley Stadium',
          city: 'London',
          startsAt: '2030-06-14T19:30:00.000Z',
        }}
      />,
    );
    const show = screen.getByRole('link', { name: 'Arctic Monkeys live' });
    expect(show.getAttribute('href')).toBe('/events/event-1');
    expect(show.parentElement?.textContent).toBe(
      'Arctic Monkeys live · Wembley Stadium, London · Fri, Jun 14, 2030, 07:30 PM UTC',
    );
  });

  it('when the ticket has no event, then only its title heads the order', () => {
    render(
      <OrderPanel
        order={orderExpiringIn(600)}
        renderedAt={Date.now()}
        stripePublishableKey={null}
      />,
    );
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Arctic Monkeys');
    expect(screen.queryByRole('link', { name: /live/ })).toBeNull();
  });
});

describe('a completed order', () => {
  const completed: Order = { ...orderExpiringIn(600), status: 'complete' };

  it('when it is paid and the file attached, then the buyer reads that it is theirs and gets the download', () => {
    render(
      <OrderPanel
        order={completed}
        renderedAt={Date.now()}
        stripePublishableKey={null}
        ticketFileUrl="/api/tickets/ticket-1/file"
      />,
    );
    expect(screen.getByText('Paid. This ticket is yours.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Download ticket' })).toBeTruthy();
  });

  it('when part of its payment was given back, then the page says how much, the ticket stays theirs and the download stays', () => {
    render(
      <OrderPanel
        order={completed}
        renderedAt={Date.now()}
        stripePublishableKey={null}
        ticketFileUrl="/api/tickets/ticket-1/file"
        partlyRefunded={5}
      />,
    );
    expect(screen.getByText('Paid. This ticket is yours.')).toBeTruthy();
    expect(screen.getByText('$5.00 of your $35.50 payment was given back to you.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Download ticket' })).toBeTruthy();
    expect(screen.getByText('Complete', { exact: true })).toBeTruthy();
  });

  it('when its payment was refunded, then the page says so, its badge says Refunded, and it offers no download', () => {
    render(
      <OrderPanel
        order={completed}
        renderedAt={Date.now()}
        stripePublishableKey={null}
        ticketFileUrl="/api/tickets/ticket-1/file"
        refunded
      />,
    );
    expect(
      screen.getByText('Your payment was refunded: this ticket is no longer yours.'),
    ).toBeTruthy();
    expect(screen.queryByText('Paid. This ticket is yours.')).toBeNull();
    expect(screen.queryByRole('link', { name: 'Download ticket' })).toBeNull();
    expect(screen.queryByText(/as soon as the seller has attached it/)).toBeNull();
    // The order stays `complete` in the API; a green "Complete" beside the refund read
    // as if the ticket were still the buyer's.
    expect(screen.getByText('Refunded', { exact: true })).toBeTruthy();
    expect(screen.queryByText('Complete', { exact: true })).toBeNull();
  });
});

describe('paying in sandbox mode', () => {
  /** An order with ten minutes left, paid with the sandbox form. */
  const renderOpenOrder = () =>
    render(
      <OrderPanel
        order={orderExpiringIn(600)}
        renderedAt={Date.now()}
        stripePublishableKey={null}
      />,
    );

  /** Types a card number into the sandbox form and presses Pay. */
  function payWith(cardNumber: string) {
    fireEvent.change(screen.getByLabelText('Card number'), { target: { value: cardNumber } });
    fireEvent.click(screen.getByRole('button', { name: 'Pay' }));
  }

  it('when the card number is not a test card, then nothing is sent and the field explains', () => {
    const fetch = answer(201, {});
    vi.stubGlobal('fetch', fetch);
    renderOpenOrder();
    payWith('1234');
    expect(screen.getByText(/This is a test store/)).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('when the card is declined (402), then the buyer reads "declined" and can try again', async () => {
    const fetch = answer(402, { errors: [{ message: 'Card declined' }] });
    vi.stubGlobal('fetch', fetch);
    renderOpenOrder();
    payWith('4000 0000 0000 0002');

    expect(await screen.findByText(/declined/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Pay' })).toBeTruthy();
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/payments');
    expect(JSON.parse(String(init.body))).toEqual({
      orderId: 'order-1',
      token: 'tok_chargeDeclined',
    });
  });

  it('when a declined card is followed by a number that is not a test card, then only the latest error shows', async () => {
    const fetch = answer(402, { errors: [{ message: 'Card declined' }] });
    vi.stubGlobal('fetch', fetch);
    renderOpenOrder();
    const card = screen.getByLabelText('Card number');
    payWith('4000 0000 0000 0002');
    await screen.findByText(/Your card was declined/);

    payWith('1234');

    expect(screen.getByText(/This is a test store/)).toBeTruthy();
    expect(screen.queryByText(/Your card was declined/)).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe('');
    await vi.waitFor(() => expect(document.activeElement).toBe(card));
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('when the payment succeeds, then a confirmation shows and the order is complete', async () => {
    vi.stubGlobal(
      'fetch',
      answer(201, { id: 'pay-1', orderId: 'order-1', amount: 35.5, providerId: 'ch_1' }),
    );
    renderOpenOrder();
    payWith('4242424242424242');

    expect(await screen.findByText(/Payment confirmed/)).toBeTruthy();
    expect(screen.getByText('Complete')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Pay' })).toBeNull();
    expect(screen.queryByRole('timer')).toBeNull();
  });
});
