import type { Metadata } from 'next';
import Link from 'next/link';
import { SignOutButton } from '../../../components/SignOutButton';
import { getCurrentUser } from '../../../lib/gateway';

export const metadata: Metadata = { title: 'Sign out' };

/** Visiting signs nobody out: the button does (a POST). */
export default async function SignOutPage() {
  // Unknown while auth is unreachable: then the button stays, as it does for a session.
  const user = await getCurrentUser().catch(() => undefined);
  if (user === null) {
    return (
      <section className="narrow card" aria-labelledby="signout-title">
        <h1 id="signout-title">Sign out</h1>
        <p className="notice">
          You're not signed in on this browser: there is nothing to sign out of.
        </p>
        <p className="form-footer">
          <Link href="/auth/signin">Sign in</Link> or <Link href="/">browse tickets</Link>
        </p>
      </section>
    );
  }
  return (
    <section className="narrow card" aria-labelledby="signout-title">
      <h1 id="signout-title">Sign out</h1>
      <p className="muted">
        This ends your session on this browser. Copies of it stop working everywhere.
      </p>
      <SignOutButton />
      <p className="form-footer">
        <Link href="/">Stay signed in</Link>
      </p>
    </section>
  );
}
