import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found' };

export default function NotFound() {
  return (
    <section className="narrow card empty-state" aria-labelledby="not-found-title">
      <p className="not-found-code" aria-hidden="true">
        404
      </p>
      <h1 id="not-found-title">Page not found</h1>
      <p className="muted">That ticket or page doesn't exist, or it isn't yours to see.</p>
      <Link href="/" className="button">
        Browse tickets
      </Link>
    </section>
  );
}
