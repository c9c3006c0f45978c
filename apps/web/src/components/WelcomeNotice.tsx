'use client';

import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';
import { takeWelcome } from '../lib/welcome-flash';

/**
 * Right after `Sign up`, on the page the new user lands on: a polite note that the
 * verification link is in their inbox, until they dismiss it or go to another page.
 * The status region is always there, so filling it is announced.
 */
export function WelcomeNotice() {
  const pathname = usePathname();
  const [welcome, setWelcome] = useState<{ email: string; page: string } | null>(null);

  // sessionStorage exists only in the browser: read after mount, so hydration matches.
  useEffect(() => {
    const email = takeWelcome();
    if (email) setWelcome({ email, page: window.location.pathname });
  }, []);

  // The layout stays mounted across client-side navigation: the note stays on its page.
  const email = welcome?.page === pathname ? welcome.email : null;
  return (
    <div role="status">
      {email && (
        <div className="notice notice-success welcome-notice">
          <p>
            Check your inbox: we sent a link to verify <strong>{email}</strong>
          </p>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setWelcome(null)}
          >
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
