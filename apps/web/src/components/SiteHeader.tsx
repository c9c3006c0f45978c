import Link from 'next/link';
import { getCurrentUser } from '../lib/gateway';
import type { CurrentUser } from '../lib/types';
import styles from './SiteHeader.module.css';

async function currentUserOrNull(): Promise<CurrentUser | null> {
  // The header must render even when auth is unreachable; the page itself reports the outage.
  return getCurrentUser().catch(() => null);
}

export async function SiteHeader() {
  const user = await currentUserOrNull();
  return (
    <header className={styles.header}>
      <div className={styles.inner}>
        <Link href="/" className={styles.brand}>
          <span aria-hidden="true" className={styles.logo}>
            🎟
          </span>
          GitTix
        </Link>
        <nav aria-label="Account" className={styles.nav}>
          {user ? (
            <>
              <span className={styles.email} title={user.email}>
                {user.email}
              </span>
              <ul className={styles.links}>
                <li>
                  <Link href="/tickets/new" className={`button ${styles.sell}`}>
                    Sell tickets
                  </Link>
                </li>
                <li>
                  <Link href="/tickets/mine">My listings</Link>
                </li>
                <li>
                  <Link href="/orders">My orders</Link>
                </li>
                <li>
                  {/* Not prefetched: visiting it signs the visitor out. */}
                  <Link href="/auth/signout" prefetch={false}>
                    Sign out
                  </Link>
                </li>
              </ul>
            </>
          ) : (
            <ul className={styles.links}>
              <li>
                <Link href="/auth/signup">Sign up</Link>
              </li>
              <li>
                <Link href="/auth/signin" className={`button ${styles.sell}`}>
                  Sign in
                </Link>
              </li>
            </ul>
          )}
        </nav>
      </div>
    </header>
  );
}
