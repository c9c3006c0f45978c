'use client';

import type { BusyWait } from '../lib/busy-retry';
import { useClock } from './use-clock';

/**
 * "High demand — retrying in N s": shown while a call GitTix refused as busy
 * waits for its retry, counting down to it. Polite: announced without
 * interrupting, since nothing is wrong with what the visitor did.
 */
export function BusyNotice({ wait }: { wait: BusyWait | null }) {
  if (!wait) return <div role="status" aria-live="polite" />;
  return (
    <div role="status" aria-live="polite">
      <BusyCountdown wait={wait} />
    </div>
  );
}

function BusyCountdown({ wait }: { wait: BusyWait }) {
  const now = useClock(Date.now(), wait.retryAt);
  const seconds = Math.max(0, Math.ceil((wait.retryAt - now) / 1000));
  return (
    <p className="notice">
      <strong>High demand</strong> — {seconds > 0 ? `retrying in ${seconds} s` : 'retrying now'}…
    </p>
  );
}
