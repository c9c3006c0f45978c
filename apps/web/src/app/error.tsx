'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect } from 'react';
import { BusyRetry } from '../components/BusyRetry';
import { retryAfterOfDigest } from '../lib/busy-retry';

export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error && 'digest' in error ? String(error.digest) : null;
  const page = usePathname();
  // GitTix refused the page's data as busy: wait as it asked, then load again by itself.
  const busyFor = retryAfterOfDigest(digest);
  if (busyFor !== undefined) return <BusyRetry retryAfter={busyFor} retry={retry} page={page} />;

  return (
    <section className="narrow card" role="alert" aria-labelledby="error-title">
      <h1 id="error-title">Something went wrong</h1>
      <p className="muted">
        We couldn't load this page. It's probably temporary: try again in a moment.
      </p>
      <div className="actions-row">
        <button type="button" className="button" onClick={() => retry()}>
          Try again
        </button>
        <Link href="/" className="button button-secondary">
          Go to the front page
        </Link>
      </div>
      {digest && <p className="field-hint">Reference: {digest}</p>}
    </section>
  );
}
