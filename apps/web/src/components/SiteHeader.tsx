import type { CurrentUser } from '@gittix/api-types';
import Link from 'next/link';
import { getCurrentUser } from '../lib/gateway';
import { NavLink } from './NavLink';
import styles from './SiteHeader.module.css';

async function currentUserOrNull(): Promise<CurrentUser | null> {
  // The header must render even when auth is unreachable; the page itself reports the outage.
  return getCurrentUser().catch(() => null);
}

/** Inline, so the mark needs no emoji font and no extra request. */
function TicketMark() {
  return (
    <svg className={styles.logo} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path
        d="M8 11a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2v2.2a2.8 2.8 0 0 0 0 5.6V21a2 2 0 0 1-2 2H10a2 2 0 0 1-2-2v-2.2a2.8 2.8 0 0 0 0-5.6z"
        fill="#fff"
      />
      <path d="M18 10.5v11" stroke="currentColor" strokeWidth="1.5" strokeDasharray="1.6 1.6" />
    </svg>
  );
}

export async function SiteHeader() {
  const user = await currentUserOrNull();
  return (
    <header className={styles.header}>
      <div className={styles.inner}>
        <Link href="/" className={styles.brand}>
          <TicketMark />
          GitTix
        </Link>
        {user && (
          <span className={styles.email} title={user.email}>
            <span className="visually-hidden">Signed in as </span>
            {user.email}
          </span>
        )}
        <nav aria-label="Main" className={styles.nav}>
          <ul className={styles.links}>
            <li>
              <NavLink href="/events">Events</NavLink>
            </li>
            {user ? (
              <>
                <li>
                  <NavLink href="/tickets/new" className={`button ${styles.sell}`}>
                    Sell tickets
                  </NavLink>
                </li>
                <li>
                  <NavLink href="/tickets/purchased">My tickets</NavLink>
                </li>
                <li>
                  <NavLink href="/tickets/mine">My listings</NavLink>
                </li>
                <li>
                  <NavLink href="/orders">My orders</NavLink>
                </li>
                <li>
                  <NavLink href="/payouts">Payouts</NavLink>
                </li>
                <li>
                  <NavLink href="/account">Account</NavLink>
                </li>
                <li>
                  {/* The page asks: its button signs out (a POST), the visit does not. */}
                  <NavLink href="/auth/signout" prefetch={false}>
                    Sign out
                  </NavLink>
                </li>
              </>
            ) : (
              <>
                <li>
                  <NavLink href="/auth/signup">Sign up</NavLink>
                </li>
                <li>
                  <NavLink href="/auth/signin" className={`button ${styles.sell}`}>
                    Sign in
                  </NavLink>
                </li>
              </>
            )}
          </ul>
        </nav>
      </div>
    </header>
  );
}
