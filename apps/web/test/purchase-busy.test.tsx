// @vitest-environment jsdom

import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { PurchaseButton } from '../src/components/PurchaseButton';
import { BUSY_GAVE_UP_MESSAGE, BUSY_MAX_ATTEMPTS } from '../src/lib/busy-retry';
import { busyAnswer, settle, withBusyRetryClock } from './busy-gateway';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

const created = () =>
  new Response(JSON.stringify({ id: 'order-9' }), {
    status: 201,
    headers: { 'content-type': 'application/json' },
  });

withBusyRetryClock(Date.parse('2030-01-01T12:00:00.000Z'));

describe('PurchaseButton when GitTix is busy', () => {
  it('when the order is refused with 503 + Retry-After, then it shows "High demand — retrying in N s", counts down and retries by itself', async () => {
    const fetchMock = vi.fn().mockResolvedValueOnce(busyAnswer()).mockResolvedValueOnce(created());
    vi.stubGlobal('fetch', fetchMock);
    render(<PurchaseButton ticketId="t-1" signedIn={true} />);

    fireEvent.click(screen.getByRole('button', { name: 'Purchase' }));
    await settle();
    expect(screen.getByRole('status').textContent).toBe('High demand — retrying in 2 s…');
    expect(screen.queryByRole('alert')?.textContent ?? '').toBe('');
    expect(fetchMock).toHaveBeenCalledTimes(1);

    await act(async () => vi.advanceTimersByTime(1_000));
    expect(screen.getByRole('status').textContent).toBe('High demand — retrying in 1 s…');

    await act(async () => vi.advanceTimersByTime(1_000));
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[1]![1]).toMatchObject({
      method: 'POST',
      body: JSON.stringify({ ticketId: 't-1' }),
    });
    expect(router.push).toHaveBeenCalledWith('/orders/order-9');
    expect(screen.getByRole('status').textContent).toBe('');
  });

  it('when it stays busy, then it gives up after the bound with a clear message and the button works again', async () => {
    const fetchMock = vi.fn().mockImplementation(async () => busyAnswer());
    vi.stubGlobal('fetch', fetchMock);
    render(<PurchaseButton ticketId="t-1" signedIn={true} />);

    fireEvent.click(screen.getByRole('button', { name: 'Purchase' }));
    for (let attempt = 1; attempt < BUSY_MAX_ATTEMPTS; attempt++) {
      await settle();
      await act(async () => vi.advanceTimersByTime(60_000));
    }
    await settle();

    expect(fetchMock).toHaveBeenCalledTimes(BUSY_MAX_ATTEMPTS);
    expect(screen.getByRole('alert').textContent).toBe(BUSY_GAVE_UP_MESSAGE);
    expect(screen.getByRole('status').textContent).toBe('');
    expect((screen.getByRole('button', { name: 'Purchase' }) as HTMLButtonElement).disabled).toBe(
      false,
    );
    expect(router.push).not.toHaveBeenCalled();
  });
});
