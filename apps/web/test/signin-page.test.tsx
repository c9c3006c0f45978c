// @vitest-environment jsdom
import type { CurrentUser } from '@gittix/api-types';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SignInPage from '../src/app/auth/signin/page';
import SignUpPage from '../src/app/auth/signup/page';

// Someone already signed in who opened /auth/signin (a bookmark, the back button) was
// shown the empty form, as though no session of theirs were running, with no word of
// whose it was. The form stays (API.md's page, and the way to switch accounts); a notice
// above it says who is signed in and leads on.

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: vi.fn(), push: vi.fn() }) }));

const gateway = vi.hoisted(() => ({ user: null as CurrentUser | null, down: false }));
vi.mock('../src/lib/gateway', () => ({
  getCurrentUser: async () => {
    if (gateway.down) throw new Error('auth unreachable');
    return gateway.user;
  },
}));

afterEach(cleanup);

const signedIn: CurrentUser = { id: 'u1', email: 'fan@example.test', emailVerified: true };

const query = (next?: string) => ({ searchParams: Promise.resolve(next ? { next } : {}) });

function expectForm(button: string) {
  expect(screen.getByLabelText('Email')).toBeTruthy();
  expect(screen.getByLabelText('Password')).toBeTruthy();
  expect(screen.getByRole('button', { name: button })).toBeTruthy();
}

describe.each([
  ['/auth/signin', SignInPage, 'Sign in'],
  ['/auth/signup', SignUpPage, 'Sign up'],
])('%s', (_, Page, button) => {
  it('when the visitor is signed in, then it says as whom above the form, and leads on', async () => {
    gateway.user = signedIn;
    gateway.down = false;
    render(await Page(query()));

    expect(screen.getByText(/signed in as/).textContent).toMatch(
      /^This browser is signed in as fan@example\.test\. Browse tickets, or (sign in with|create) another account below\.$/,
    );
    expectForm(button);
    expect(screen.getByRole('link', { name: 'Browse tickets' }).getAttribute('href')).toBe('/');
  });

  it('when the visitor is signed in and was on the way to a page, then it leads there', async () => {
    gateway.user = signedIn;
    gateway.down = false;
    render(await Page(query('/orders?x=1')));

    expect(screen.getByRole('link', { name: 'Continue' }).getAttribute('href')).toBe('/orders?x=1');
  });

  it('when the visitor is signed in and next leads off the site, then it leads home instead', async () => {
    gateway.user = signedIn;
    gateway.down = false;
    render(await Page(query('//evil.example')));

    expect(screen.getByRole('link', { name: 'Browse tickets' }).getAttribute('href')).toBe('/');
    expect(screen.queryByRole('link', { name: 'Continue' })).toBeNull();
  });

  it(`when the visitor is not signed in, then it shows the form with its "${button}" button`, async () => {
    gateway.user = null;
    gateway.down = false;
    render(await Page(query('/orders')));

    expectForm(button);
    expect(screen.queryByText(/signed in as/)).toBeNull();
  });

  it('when who the visitor is cannot be told, then the form is still there', async () => {
    gateway.down = true;
    render(await Page(query()));

    expectForm(button);
    expect(screen.queryByText(/signed in as/)).toBeNull();
  });
});
