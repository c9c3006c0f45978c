// @vitest-environment jsdom
import type { CurrentUser } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SiteHeader } from '../src/components/SiteHeader';

const gateway = vi.hoisted(() => ({ user: null as CurrentUser | null }));
vi.mock('../src/lib/gateway', () => ({ getCurrentUser: async () => gateway.user }));
const navigation = vi.hoisted(() => ({ pathname: '/' }));
vi.mock('next/navigation', () => ({ usePathname: () => navigation.pathname }));

afterEach(cleanup);

async function renderHeader(user: CurrentUser | null) {
  gateway.user = user;
  render(await SiteHeader());
}

const email = 'seller-with-a-long-address@example.com';

describe('the site header', () => {
  it('when signed in, then its navigation is "Main", not a second "Account" beside the Account link', async () => {
    await renderHeader({ id: 'u1', email, emailVerified: true });
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Account' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Account' })).toBeTruthy();
  });

  it('when signed out, then its navigation is "Main" too', async () => {
    await renderHeader(null);
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
  });

  it('when signed in, then the whole email is shown, and kept in its title should it be cut short', async () => {
    await renderHeader({ id: 'u1', email, emailVerified: true });
    const shown = screen.getByTitle(email);
    expect(shown.textContent).toBe(`Signed in as ${email}`);
  });

  it('when a page of the header is shown, then its link (and only it) is the current page', async () => {
    navigation.pathname = '/orders';
    await renderHeader({ id: 'u1', email, emailVerified: true });
    expect(screen.getByRole('link', { name: 'My orders' }).getAttribute('aria-current')).toBe(
      'page',
    );
    const current = screen.getAllByRole('link').filter((l) => l.hasAttribute('aria-current'));
    expect(current).toHaveLength(1);
  });

  it('when a page outside the header is shown, then no link claims to be the current page', async () => {
    navigation.pathname = '/tickets/abc';
    await renderHeader(null);
    expect(screen.getAllByRole('link').some((l) => l.hasAttribute('aria-current'))).toBe(false);
    navigation.pathname = '/';
  });
});
