'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ComponentProps } from 'react';

/**
 * A header link that says when it is the page being shown (`aria-current="page"`):
 * a screen reader announces "current page", and the header marks it for everyone.
 */
export function NavLink({ href, ...props }: ComponentProps<typeof Link> & { href: string }) {
  const current = usePathname() === href;
  return <Link href={href} aria-current={current ? 'page' : undefined} {...props} />;
}
