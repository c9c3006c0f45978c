// @vitest-environment jsdom

import type { Order } from '@gittix/api-types';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OrderPanel } from '../src/components/OrderPanel';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

/** The server's clock when it rendered the order page. */
const SERVER_NOW = Date.parse('2030-01-01T12:00:00.000Z');
const MINUTE = 60_000;

const heldFor15Minutes: Order = {
  id: 'order-1',
  userId: 'buyer-1',
  status: 'created',
  expiresAt: new Date(SERVER_NOW + 15 * MINUTE).toISOString(),
  version: 0,
  ticket: { id: 'ticket-1', title: 'Arctic Monkeys', price: 35.5 },
};

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const showPanel = () =>
  render(
    <OrderPanel order={heldFor15Minutes} renderedAt={SERVER_NOW} stripePublishableKey={null} />,
  );

describe("the countdown on a device whose clock is not the server's", () => {
  it('when the device clock is 20 minutes fast, then the hold still counts down from 15:00 and Pay is there', () => {
    vi.useFakeTimers({ now: SERVER_NOW + 20 * MINUTE });
    showPanel();
    expect(screen.getByRole('timer').textContent).toBe('15:00');
    expect(screen.getByRole('button', { name: 'Pay' })).toBeTruthy();

    act(() => vi.advanceTimersByTime(MINUTE));
    expect(screen.getByRole('timer').textContent).toBe('14:00');
    act(() => vi.advanceTimersByTime(14 * MINUTE));
    expect(screen.getByText('Time ran out.')).toBeTruthy();
  });

  it('when the device clock is 2 hours slow, then the countdown still ends when the hold does', () => {
    vi.useFakeTimers({ now: SERVER_NOW - 120 * MINUTE });
    showPanel();
    expect(screen.getByRole('timer').textContent).toBe('15:00');
    act(() => vi.advanceTimersByTime(15 * MINUTE));
    expect(screen.queryByRole('button', { name: 'Pay' })).toBeNull();
    expect(screen.getByText('Time ran out.')).toBeTruthy();
  });
});
