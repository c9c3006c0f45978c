import type { Metadata } from 'next';
import Link from 'next/link';
import { SignOutButton } from '../../../components/SignOutButton';

export const metadata: Metadata = { title: 'Sign out' };

/** Visiting signs nobody out: the button does (a POST). */
export default function SignOutPage() {
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
