import Link from 'next/link';
import styles from './SignedInNotice.module.css';

/**
 * What /auth/signin and /auth/signup say, above their form, to a visitor whose session is
 * running: as whom this browser is signed in, and the way on to `next` (the page the form
 * would have led to). The form stays (the contract's page; and it is how to switch to
 * another account: signing in or up replaces the session), as /auth/signout tells a
 * signed-out visitor there is nothing to sign out of.
 */
export function SignedInNotice({
  email,
  next,
  otherwise,
}: {
  email: string;
  next: string;
  /** What the form below would do instead, e.g. "sign in with another account". */
  otherwise: string;
}) {
  return (
    <p className={`notice ${styles.who}`}>
      This browser is signed in as <strong>{email}</strong>.{' '}
      <Link href={next}>{next === '/' ? 'Browse tickets' : 'Continue'}</Link>, or {otherwise} below.
    </p>
  );
}
