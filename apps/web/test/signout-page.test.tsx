// @vitest-environment jsdom
import type { CurrentUser } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SignOutPage from '../src/app/auth/signout/page';

// A visitor who was not signed in (signed out elsewhere, or a stale tab) was offered a
// "Sign out" button and "Stay signed in", as though a session of theirs were running.

const gateway = vi.hoisted(() => ({ user: null as CurrentUser | null, down: false }));
vi.mock('../src/lib/gateway', () => ({
  getCurrentUser: async () => {
    if (gateway.down) throw new Error('auth unreachable');
    return gateway.user;
  },
}));

afterEach(cleanup);

describe('/auth/signout', () => {
  it('when the visitor is signed in, then it offers the "Sign out" button', async () => {
    gateway.user = { id: 'u1', email: 'u1@example.test', emailVerified: true };
    gateway.down = false;
    render(await SignOutPage());

    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Stay signed in' })).toBeTruthy();
  });

  it('when the visitor is not signed in, then it says so and links to sign in instead of offering to sign out', async () => {
    gateway.user = null;
    gateway.down = false;
    render(await SignOutPage());

    expect(screen.getByText(/You're not signed in/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Stay signed in' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/auth/signin');
  });

  it('when who the visitor is cannot be told, then the button is still there', async () => {
    gateway.down = true;
    render(await SignOutPage());

    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
  });
});
