'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/** A tab hidden for less than this comes back as it was: a glance elsewhere changes nothing. */
export const STALE_AFTER_MS = 15_000;

/**
 * Pages are rendered on the server once: a tab left open on a listing, an order or the
 * account goes stale while the world moves (the ticket sold, the email verified in
 * another tab). When the tab comes back into view after STALE_AFTER_MS hidden, or from
 * the back/forward cache, this asks the server for the page again (`router.refresh`:
 * the server components re-render, what the visitor typed in a form stays).
 */
export function RefreshOnReturn() {
  const router = useRouter();
  useEffect(() => {
    let hiddenAt: number | null = document.visibilityState === 'hidden' ? Date.now() : null;
    function onVisibilityChange() {
      if (document.visibilityState === 'hidden') {
        hiddenAt = Date.now();
        return;
      }
      if (hiddenAt !== null && Date.now() - hiddenAt >= STALE_AFTER_MS) router.refresh();
      hiddenAt = null;
    }
    function onPageShow(event: PageTransitionEvent) {
      if (event.persisted) router.refresh();
    }
    document.addEventListener('visibilitychange', onVisibilityChange);
    window.addEventListener('pageshow', onPageShow);
    return () => {
      document.removeEventListener('visibilitychange', onVisibilityChange);
      window.removeEventListener('pageshow', onPageShow);
    };
  }, [router]);
  return null;
}
