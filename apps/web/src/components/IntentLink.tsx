'use client';

import Link from 'next/link';
import { type ReactNode, useState } from 'react';

/**
 * A link that prefetches on intent (pointer over it, focus, touch) instead of on
 * sight. Every GitTix page is rendered per visitor, so a list of 24 tickets would
 * otherwise cost 24 server renders, and 24 session look-ups, per page view.
 */
export function IntentLink({
  href,
  className,
  children,
}: {
  href: string;
  className?: string;
  children: ReactNode;
}) {
  const [intent, setIntent] = useState(false);
  const show = () => setIntent(true);
  return (
    <Link
      href={href}
      className={className}
      prefetch={intent ? null : false}
      onPointerEnter={show}
      onFocus={show}
      onTouchStart={show}
    >
      {children}
    </Link>
  );
}
