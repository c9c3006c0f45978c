import { act, cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';

/** The gateway refusing as busy: 503 with `Retry-After: 2`, in the one error shape. */
export const busyAnswer = () =>
  new Response(JSON.stringify({ errors: [{ message: 'The service is busy; retry in 2 s' }] }), {
    status: 503,
    headers: { 'content-type': 'application/json', 'retry-after': '2' },
  });

/** Lets the fetch promise and React's updates settle under fake timers. */
export const settle = () => act(async () => {});

/**
 * Fake timers from `now` and no jitter, so the busy waits are exactly Retry-After,
 * doubled per attempt; everything undone after each test.
 */
export function withBusyRetryClock(now: number): void {
  beforeEach(() => {
    vi.useFakeTimers({ now });
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
    vi.clearAllMocks();
  });
}
