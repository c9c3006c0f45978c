// @vitest-environment jsdom

import type { Order } from '@gittix/api-types';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { OrderPanel } from '../src/components/OrderPanel';
import { busyAnswer, settle, withBusyRetryClock } from './busy-gateway';
import { stripe } from './stand-ins';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

// Stripe.js and its React parts: stand-ins whose tokenizing each test decides.
vi.mock('@stripe/stripe-js', () => import('./stand-ins').then((s) => s.stripeJs));
vi.mock('@stripe/react-stripe-js', () => import('./stand-ins').then((s) => s.reactStripeJs));

const START = Date.parse('2030-01-01T12:00:00.000Z');

const order: Order = {
  id: 'order-1',
  userId: 'buyer-1',
  status: 'created',
  expiresAt: new Date(START + 600_000).toISOString(),
  version: 0,
  ticket: { id: 'ticket-1', title: 'Arctic Monkeys', price: 35.5 },
};

const paid = () =>
  new Response(
    JSON.stringify({ id: 'pay-1', orderId: 'order-1', amount: 35.5, providerId: 'ch' }),
    {
      status: 201,
      headers: { 'content-type': 'application/json' },
    },
  );
const cancelled = () => new Response(null, { status: 204 });

/** The text of every "High demand" notice on the page (the panel has other live regions too). */
const busyNotices = () =>
  screen
    .queryAllByRole('status')
    .map((region) => region.textContent ?? '')
    .filter((text) => text.includes('High demand'));

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

withBusyRetryClock(START);

describe('paying when GitTix is busy', () => {
  it('when paying meets 503 with Retry-After, then "High demand — retrying in N s" shows and, once the retry succeeds, it goes and the order is complete', async () => {
    const fetchMock = vi.fn().mockResolvedValueOnce(busyAnswer()).mockResolvedValueOnce(paid());
    vi.stubGlobal('fetch', fetchMock);
    render(<OrderPanel order={order} renderedAt={START} stripePublishableKey={null} />);

    fireEvent.change(screen.getByLabelText('Card number'), {
      target: { value: '4242424242424242' },
    });
    fireEvent.click(button('Pay'));
    await settle();
    expect(busyNotices()).toEqual(['High demand — retrying in 2 s…']);
    expect(button('Pay').disabled).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);

    await act(async () => vi.advanceTimersByTime(1_000));
    expect(busyNotices()).toEqual(['High demand — retrying in 1 s…']);

    await act(async () => vi.advanceTimersByTime(1_000));
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[1]![1]).toMatchObject({
      method: 'POST',
      body: JSON.stringify({ orderId: 'order-1', token: 'tok_visa' }),
    });
    expect(busyNotices()).toEqual([]);
    expect(screen.getByText(/Payment confirmed/)).toBeTruthy();
    expect(screen.getByText('Complete')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Pay' })).toBeNull();
  });

  it('when paying with the Stripe card form meets 503 with Retry-After, then the same notice shows until the retry succeeds', async () => {
    stripe.createToken.mockResolvedValue({ token: { id: 'tok_from_stripe' } });
    const fetchMock = vi.fn().mockResolvedValueOnce(busyAnswer()).mockResolvedValueOnce(paid());
    vi.stubGlobal('fetch', fetchMock);
    // The card form is loaded on demand (next/dynamic): have the module ready beforehand.
    await import('../src/components/StripePaymentForm');
    render(<OrderPanel order={order} renderedAt={START} stripePublishableKey="pk_test_123" />);
    for (let i = 0; i < 10 && !screen.queryByTestId('stripe-card'); i++) await settle();
    expect(screen.getByTestId('stripe-card')).toBeTruthy();

    fireEvent.click(button('Pay'));
    await settle();
    expect(busyNotices()).toEqual(['High demand — retrying in 2 s…']);
    expect(button('Pay').disabled).toBe(true);

    await act(async () => vi.advanceTimersByTime(2_000));
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(busyNotices()).toEqual([]);
    expect(screen.getByText(/Payment confirmed/)).toBeTruthy();
  });
});

describe('cancelling when GitTix is busy', () => {
  it('when cancelling meets 503, then the notice shows and the cancel button stays disabled until the retry ends, one request at a time', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(busyAnswer())
      .mockResolvedValueOnce(cancelled());
    vi.stubGlobal('fetch', fetchMock);
    render(<OrderPanel order={order} renderedAt={START} stripePublishableKey={null} />);
    const cancel = 'Cancel order and release the ticket';

    fireEvent.click(button(cancel));
    await settle();
    expect(busyNotices()).toEqual(['High demand — retrying in 2 s…']);
    expect(button(cancel).disabled).toBe(true);

    // An impatient buyer clicks again while it waits: no second call, no second retry loop.
    fireEvent.click(button(cancel));
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);

    await act(async () => vi.advanceTimersByTime(1_000));
    expect(busyNotices()).toEqual(['High demand — retrying in 1 s…']);
    expect(button(cancel).disabled).toBe(true);

    await act(async () => vi.advanceTimersByTime(1_000));
    await settle();
    // Let any other loop that may have started reach its retry too.
    await act(async () => vi.advanceTimersByTime(60_000));
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    for (const [path, init] of fetchMock.mock.calls as [string, RequestInit][]) {
      expect(path).toBe('/api/orders/order-1');
      expect(init.method).toBe('DELETE');
    }
    expect(busyNotices()).toEqual([]);
    expect(screen.getByText(/This order was cancelled/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: cancel })).toBeNull();
  });
});
