'use client';

import { useEffect, useState } from 'react';

/**
 * The current time, ticking four times a second until `until` has passed. The
 * first render uses the server's clock (`renderedAt`) so hydration matches the
 * server HTML; the browser's clock takes over right after.
 */
export function useClock(renderedAt: number, until: number): number {
  const [now, setNow] = useState(renderedAt);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => {
      const current = Date.now();
      setNow(current);
      if (current >= until) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [until]);
  return now;
}
