// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RefreshOnReturn, STALE_AFTER_MS } from '../src/components/RefreshOnReturn';

// A tab left open on a listing or the account stayed as the server first rendered it:
// a seller saw `Available` for a ticket sold meanwhile until they reloaded by hand.

const router = vi.hoisted(() => ({ refresh: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

let visibility: DocumentVisibilityState = 'visible';
Object.defineProperty(document, 'visibilityState', { get: () => visibility });

function tab(state: DocumentVisibilityState) {
  visibility = state;
  act(() => {
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  visibility = 'visible';
  router.refresh.mockClear();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('RefreshOnReturn', () => {
  it('when the tab comes back after a while hidden, then the page is asked of the server again, once', () => {
    render(<RefreshOnReturn />);
    tab('hidden');
    vi.advanceTimersByTime(STALE_AFTER_MS);
    tab('visible');
    expect(router.refresh).toHaveBeenCalledTimes(1);
    tab('visible');
    expect(router.refresh).toHaveBeenCalledTimes(1);
  });

  it('when the tab was hidden only briefly, then nothing is asked', () => {
    render(<RefreshOnReturn />);
    tab('hidden');
    vi.advanceTimersByTime(STALE_AFTER_MS - 1_000);
    tab('visible');
    expect(router.refresh).not.toHaveBeenCalled();
  });

  it('when the page comes back from the back/forward cache, then it is asked again', () => {
    render(<RefreshOnReturn />);
    const restored = new Event('pageshow') as PageTransitionEvent;
    Object.defineProperty(restored, 'persisted', { value: true });
    act(() => {
      window.dispatchEvent(restored);
    });
    expect(router.refresh).toHaveBeenCalledTimes(1);
  });

  it('once the page is gone, then a return asks nothing', () => {
    const { unmount } = render(<RefreshOnReturn />);
    unmount();
    tab('hidden');
    vi.advanceTimersByTime(STALE_AFTER_MS);
    tab('visible');
    expect(router.refresh).not.toHaveBeenCalled();
  });
});
