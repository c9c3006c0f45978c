'use client';

import { useEffect, useState } from 'react';
import {
  BUSY_GAVE_UP_MESSAGE,
  BUSY_MAX_ATTEMPTS,
  type BusyWait,
  busyDelayMs,
} from '../lib/busy-retry';
import { BusyNotice } from './BusyNotice';

/** Refused loads of a page, by page, kept across the error boundary's remounts. */
const attemptsByPage = new Map<string, { attempts: number; at: number }>();
/** A refusal this long after the last one starts the count again. */
const FORGET_AFTER_MS = 120_000;

/** How many times this page's data was refused as busy, this one included. */
export function countBusyAttempt(page: string, now = Date.now()): number {
  const last = attemptsByPage.get(page);
  const attempts = last && now - last.at < FORGET_AFTER_MS ? last.attempts + 1 : 1;
  attemptsByPage.set(page, { attempts, at: now });
  return attempts;
}

/**
 * A page whose data GitTix refused as busy (503 + Retry-After): "High demand —
 * retrying in N s", then `retry` by itself after the wait (with jitter, longer each
 * time); after BUSY_MAX_ATTEMPTS it stops and says so, with a button to try again.
 */
export function BusyRetry({
  retryAfter,
  retry,
  page,
}: {
  retryAfter: number;
  retry: () => void;
  page: string;
}) {
  const [state, setState] = useState<{ wait: BusyWait | null; gaveUp: boolean }>({
    wait: null,
    gaveUp: false,
  });
  useEffect(() => {
    const attempt = countBusyAttempt(page);
    if (attempt >= BUSY_MAX_ATTEMPTS) {
      setState({ wait: null, gaveUp: true });
      return;
    }
    const delay = busyDelayMs(retryAfter, attempt);
    setState({ wait: { attempt, retryAt: Date.now() + delay }, gaveUp: false });
    const timer = setTimeout(retry, delay);
    return () => clearTimeout(timer);
  }, [page, retryAfter, retry]);

  return (
    <section className="narrow card" aria-labelledby="busy-title">
      <h1 id="busy-title">High demand</h1>
      {state.gaveUp ? (
        <>
          <p role="alert">{BUSY_GAVE_UP_MESSAGE}</p>
          <div className="actions-row">
            <button
              type="button"
              className="button"
              onClick={() => {
                attemptsByPage.delete(page);
                retry();
              }}
            >
              Try again
            </button>
          </div>
        </>
      ) : (
        <>
          <p className="muted">
            Lots of people are using GitTix right now. This page will load by itself as soon as
            there is room.
          </p>
          <BusyNotice wait={state.wait} />
        </>
      )}
    </section>
  );
}
