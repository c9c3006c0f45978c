'use client';

import { useEffect, useState } from 'react';

/**
 * A browser clock further than this from the server's when the page starts is off
 * (a laptop set fast, a dual-boot machine keeping local time), not the page's load.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 10_000;

/**
 * The current time, ticking four times a second until `until` has passed. The
 * first render uses the server's clock (`renderedAt`) so hydration matches the
 * server HTML; the browser's clock takes over right after, corrected by how far it
 * was from the server's at that moment when that is more than
 * CLOCK_SKEW_TOLERANCE_MS: the server decides when a hold ends, and a device clock
 * minutes off must not end the countdown early (no Pay button) or late.
 */
export function useClock(renderedAt: number, until: number): number {
  const [now, setNow] = useState(renderedAt);
  useEffect(() => {
    const drift = renderedAt - Date.now();
    const skew = Math.abs(drift) > CLOCK_SKEW_TOLERANCE_MS ? drift : 0;
    const read = () => Date.now() + skew;
    setNow(read());
    const timer = setInterval(() => {
      const current = read();
      setNow(current);
      if (current >= until) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [renderedAt, until]);
  return now;
}
